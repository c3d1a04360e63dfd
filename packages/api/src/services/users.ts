import type { Database, Prisma } from "@mp-auth/db";
import { banSelect } from "./account-status.ts";

/**
 * The user fields a request works with: the ones that leave the server (toPublicUserJson lists them),
 * plus the appid, which the session check compares with the caller's app. openid, unionid and the
 * encrypted session_key stay out: an explicit select means a new column cannot leak by accident.
 */
export const publicUserSelect = {
  id: true,
  appid: true,
  nickname: true,
  avatarUrl: true,
  phoneNumber: true,
  createdAt: true,
  lastLoginAt: true,
} as const satisfies Prisma.UserSelect;

/** A user row as read with publicUserSelect. */
export type PublicUser = Prisma.UserGetPayload<{ select: typeof publicUserSelect }>;
export type PublicUserJson = ReturnType<typeof toPublicUserJson>;

/** What goes over the wire: timestamps as ISO-8601 strings (no transformer). */
export function toPublicUserJson(user: PublicUser) {
  return {
    id: user.id,
    nickname: user.nickname,
    avatarUrl: user.avatarUrl,
    phoneNumber: user.phoneNumber,
    createdAt: user.createdAt.toISOString(),
    lastLoginAt: user.lastLoginAt.toISOString(),
  };
}

export type TransactionClient = Parameters<Parameters<Database["$transaction"]>[0]>[0];

export interface LoginIdentity {
  appid: string;
  openid: string;
  unionid?: string | undefined;
  sessionKeyCiphertext: string;
  now: Date;
}

/**
 * Creates the user on first login, refreshes unionid / session_key / lastLoginAt after that, in one
 * statement keyed on the (appid, openid) unique index.
 */
export function upsertUserOnLogin(db: TransactionClient, identity: LoginIdentity) {
  const update = {
    lastLoginAt: identity.now,
    sessionKeyCiphertext: identity.sessionKeyCiphertext,
    sessionKeyUpdatedAt: identity.now,
    // unionid only appears once the app is bound to an Open Platform account; never erase a known one.
    ...(identity.unionid ? { unionid: identity.unionid } : {}),
  };
  return db.user.upsert({
    where: { appid_openid: { appid: identity.appid, openid: identity.openid } },
    create: { appid: identity.appid, openid: identity.openid, unionid: identity.unionid ?? null, ...update },
    update,
    // The ban columns too: auth.login refuses a banned user inside its transaction (account-status.ts).
    select: { ...publicUserSelect, ...banSelect },
  });
}
