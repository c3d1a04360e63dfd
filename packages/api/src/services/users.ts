import { readTimestamp, type Prisma, type User } from "@mp-auth/db";

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
export type PublicUserJson = ReturnType<typeof publicUserJson>;

/**
 * Each user object's JSON, made once. A cached session answers every call with the same user object
 * (services/in-process-session-cache.ts), and its two `toISOString` calls were 2% of a cached
 * user.me's CPU. User objects are never changed in place (a change is a new row read from the
 * database), and the JSON is frozen: no caller can change what the next one sends.
 */
const publicJsonOf = new WeakMap<PublicUser, PublicUserJson>();

/** What goes over the wire: timestamps as ISO-8601 strings (no transformer). */
export function toPublicUserJson(user: PublicUser): PublicUserJson {
  let json = publicJsonOf.get(user);
  if (json === undefined) {
    json = Object.freeze(publicUserJson(user));
    publicJsonOf.set(user, json);
  }
  return json;
}

function publicUserJson(user: PublicUser) {
  return {
    id: user.id,
    nickname: user.nickname,
    avatarUrl: user.avatarUrl,
    phoneNumber: user.phoneNumber,
    createdAt: user.createdAt.toISOString(),
    lastLoginAt: user.lastLoginAt.toISOString(),
  };
}

/** A select of User columns only (what a raw statement can read), e.g. publicUserSelect. */
export type UserColumnSelect = Partial<Record<keyof User, true>>;
/** The row Prisma would answer for `select`. */
export type SelectedUser<S extends UserColumnSelect> = Prisma.UserGetPayload<{ select: S }>;

/** The User columns that are timestamps: listed here or the build fails when one is added. */
type UserDateField = { [K in keyof User]-?: NonNullable<User[K]> extends Date ? K : never }[keyof User];
const userDateFields: Record<UserDateField, true> = {
  phoneBoundAt: true,
  sessionKeyUpdatedAt: true,
  createdAt: true,
  updatedAt: true,
  lastLoginAt: true,
  bannedAt: true,
  bannedUntil: true,
  deletedAt: true,
};

/** The column names a select picks, in its order. */
export function selectedColumns(select: UserColumnSelect): (keyof User)[] {
  return (Object.keys(select) as (keyof User)[]).filter((field) => select[field]);
}

/**
 * A user as Prisma would answer it with `select`, from a row of a raw statement (rawQueryOf,
 * rawTransaction) that read each selected column as `${prefix}${column}`: timestamps as Date.
 */
export function userFromRow<S extends UserColumnSelect>(
  row: Record<string, unknown>,
  select: S,
  prefix = "",
): SelectedUser<S> {
  const user: Record<string, unknown> = {};
  for (const field of selectedColumns(select)) {
    const value = row[`${prefix}${field}`];
    user[field] = field in userDateFields && value !== null && value !== undefined ? readTimestamp(value) : value;
  }
  return user as SelectedUser<S>;
}

export interface LoginIdentity {
  appid: string;
  openid: string;
  unionid?: string | undefined;
  sessionKeyCiphertext: string;
  now: Date;
}
