import type { Database, Prisma } from "@mp-auth/db";
import type { ApiDependencies } from "../context.ts";
import { revokeSession } from "./sessions.ts";

/**
 * What an operator reads and does from the command line (`pnpm admin`, apps/server/src/admin): the
 * queries behind each command, with explicit selects. Operators see everything a user's support case
 * needs (full addresses included); never a token hash or a session_key.
 */

/** How a user is looked up. openid, unionid and phone may match users of several apps. */
export const userLookupKinds = ["id", "openid", "unionid", "phone"] as const;
export type UserLookupKind = (typeof userLookupKinds)[number];

/** Most users one lookup lists: a unionid spans one person's apps, a phone number one user per app. */
const LOOKUP_MAX = 50;
/** Most sessions one listing shows. */
const SESSIONS_MAX = 100;
export const OPERATOR_LOGINS_MAX = 500;

export const operatorUserSelect = {
  id: true,
  appid: true,
  openid: true,
  unionid: true,
  nickname: true,
  avatarUrl: true,
  phoneNumber: true,
  phoneCountryCode: true,
  createdAt: true,
  lastLoginAt: true,
} as const satisfies Prisma.UserSelect;

export type OperatorUser = Prisma.UserGetPayload<{ select: typeof operatorUserSelect }>;

/** The users one lookup names, oldest first. */
export async function findUsers(db: Database, by: UserLookupKind, value: string): Promise<OperatorUser[]> {
  if (by === "id") {
    const user = await db.user.findUnique({ where: { id: value }, select: operatorUserSelect });
    return user ? [user] : [];
  }
  const where: Prisma.UserWhereInput =
    by === "openid" ? { openid: value } : by === "unionid" ? { unionid: value } : { phoneNumber: value };
  return db.user.findMany({ where, select: operatorUserSelect, orderBy: { createdAt: "asc" }, take: LOOKUP_MAX });
}

const operatorSessionSelect = {
  id: true,
  createdAt: true,
  lastUsedAt: true,
  expiresAt: true,
  revokedAt: true,
  revokedReason: true,
  userAgent: true,
  clientIp: true,
} as const satisfies Prisma.SessionSelect;

/** A user's sessions, newest first: live ones, or with `includeEnded` also those still kept. */
export async function listUserSessions(db: Database, userId: string, now: Date, includeEnded: boolean) {
  const sessions = await db.session.findMany({
    where: { userId, ...(includeEnded ? {} : { revokedAt: null, expiresAt: { gt: now } }) },
    select: operatorSessionSelect,
    orderBy: { createdAt: "desc" },
    take: SESSIONS_MAX,
  });
  return sessions.map((session) => ({
    ...session,
    state: session.revokedAt
      ? ("revoked" as const)
      : session.expiresAt <= now
        ? ("expired" as const)
        : ("live" as const),
  }));
}

const operatorLoginAttemptSelect = {
  id: true,
  createdAt: true,
  appid: true,
  result: true,
  reason: true,
  clientIp: true,
  userAgent: true,
} as const satisfies Prisma.LoginAttemptSelect;

/** A user's most recent login attempts, newest first, addresses in full. */
export function listUserLoginAttempts(db: Database, userId: string, limit: number) {
  return db.loginAttempt.findMany({
    where: { userId },
    select: operatorLoginAttemptSelect,
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: Math.min(limit, OPERATOR_LOGINS_MAX),
  });
}

export type OperatorRevokeOutcome =
  | { outcome: "revoked"; userId: string }
  | { outcome: "not-found" }
  | { outcome: "already-ended"; userId: string; state: "revoked" | "expired" };

/**
 * Ends one session by its id, whoever it belongs to, the way auth.revoke ends one (revokeSession):
 * the token is refused on its next call on every instance.
 */
export async function revokeSessionAsOperator(
  deps: Pick<ApiDependencies, "db" | "sessionCache">,
  sessionId: string,
  now: Date,
): Promise<OperatorRevokeOutcome> {
  const session = await deps.db.session.findUnique({
    where: { id: sessionId },
    select: { userId: true, revokedAt: true, expiresAt: true },
  });
  if (!session) return { outcome: "not-found" };
  if (session.revokedAt) return { outcome: "already-ended", userId: session.userId, state: "revoked" };
  if (session.expiresAt <= now) return { outcome: "already-ended", userId: session.userId, state: "expired" };
  const revoked = await revokeSession(deps, { sessionId, userId: session.userId }, "operator", now);
  // Revoked in between by the user or another operator: ended all the same.
  return revoked
    ? { outcome: "revoked", userId: session.userId }
    : { outcome: "already-ended", userId: session.userId, state: "revoked" };
}
