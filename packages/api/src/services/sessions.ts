import { rawQueryOf, readTimestamp, type Database, type Prisma, type RawQuery } from "@mp-auth/db";
import type { ApiDependencies, Context } from "../context.ts";
import { sessionRefused } from "../errors.ts";
import { refusalForRevokedSession } from "./account-status.ts";
import type { SessionCacheLookup } from "./session-cache.ts";
import { publicUserSelect, selectedColumns, userFromRow, type PublicUser } from "./users.ts";
import { createSessionToken, hashSessionToken, isWellFormedSessionToken, readBearerToken } from "./session-tokens.ts";

/** Don't write `lastUsedAt` on every call: once a minute is precise enough for a device list. */
const LAST_USED_RESOLUTION_MS = 60_000;
/** Client-supplied strings stored for the device list are cut, never rejected. */
const USER_AGENT_MAX = 256;

export const sessionSelect = {
  id: true,
  createdAt: true,
  lastUsedAt: true,
  expiresAt: true,
  userAgent: true,
  clientIp: true,
} as const satisfies Prisma.SessionSelect;

/** A session row as listed by auth.sessions. */
export type ListedSession = Prisma.SessionGetPayload<{ select: typeof sessionSelect }>;

/** One device of auth.sessions as it goes over the wire: timestamps as ISO-8601 strings. */
export function toSessionJson(session: ListedSession, currentSessionId: string) {
  return {
    id: session.id,
    current: session.id === currentSessionId,
    createdAt: session.createdAt.toISOString(),
    lastUsedAt: session.lastUsedAt.toISOString(),
    expiresAt: session.expiresAt.toISOString(),
    userAgent: session.userAgent,
    clientIp: session.clientIp,
  };
}

export interface AuthenticatedSession {
  session: { id: string; expiresAt: Date };
  user: PublicUser;
}

/**
 * Resolves the bearer token of the request to a live session, or throws UNAUTHORIZED with a reason.
 *
 * A live entry of a cache that answers synchronously (the in-process SQLite cache) is answered
 * synchronously too, and a refusal of the header itself is thrown at once: a cached user.me then
 * waits on no promise here. Everything that reads the database or Redis returns a promise.
 */
export function authenticateSession(ctx: Context): AuthenticatedSession | Promise<AuthenticatedSession> {
  const { token, present } = readBearerToken(ctx.request.authorization);
  if (!present) throw sessionRefused("NO_TOKEN");
  if (!token || !isWellFormedSessionToken(token)) throw sessionRefused("MALFORMED_TOKEN");

  const tokenHash = hashSessionToken(token);
  const cached = ctx.deps.sessionCache.lookup(tokenHash);
  return cached instanceof Promise
    ? cached.then((found) => answerFor(ctx, tokenHash, found))
    : answerFor(ctx, tokenHash, cached);
}

/** A cached entry only ever says "live" (services/session-cache.ts); any refusal comes from the database. */
function answerFor(
  ctx: Context,
  tokenHash: string,
  cached: SessionCacheLookup,
): AuthenticatedSession | Promise<AuthenticatedSession> {
  if (cached.entry && cached.entry.expiresAt.getTime() > ctx.now().getTime()) {
    const { sessionId, expiresAt, user } = cached.entry;
    const answer: AuthenticatedSession = { session: { id: sessionId, expiresAt }, user };
    return cached.lastUsedWriteDue ? touchSession(ctx.deps.db, sessionId, ctx.now()).then(() => answer) : answer;
  }
  return authenticateFromDatabase(ctx, tokenHash, cached);
}

async function authenticateFromDatabase(
  ctx: Context,
  tokenHash: string,
  cached: SessionCacheLookup,
): Promise<AuthenticatedSession> {
  const session = await findSessionByTokenHash(ctx.deps.db, tokenHash);
  if (!session) throw sessionRefused("UNKNOWN_TOKEN");
  // A ban revokes the user's sessions: while it lasts the client is told ACCOUNT_BANNED, not to log in again.
  if (session.revokedAt) throw await refusalForRevokedSession(ctx.deps, session.user.id, ctx.now());
  const now = ctx.now();
  if (session.expiresAt.getTime() <= now.getTime()) throw sessionRefused("EXPIRED");

  let lastUsedAt = session.lastUsedAt;
  if (now.getTime() - session.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
    await touchSession(ctx.deps.db, session.id, now);
    lastUsedAt = now;
  }
  await cached.remember(
    { sessionId: session.id, expiresAt: session.expiresAt, user: session.user },
    { lastUsedAt, now },
  );
  return { session: { id: session.id, expiresAt: session.expiresAt }, user: session.user };
}

/**
 * Writes a session's lastUsedAt. On SQLite through the driver's connection as a cache-neutral write
 * (RawQuery.runCacheNeutral): no cached entry holds lastUsedAt, so the in-process session cache
 * stays valid; elsewhere through Prisma. DateTime text as the Prisma adapter writes it.
 */
async function touchSession(db: Database, sessionId: string, now: Date): Promise<void> {
  const statement = lookupStatement(db);
  if (statement) {
    await statement.raw.runCacheNeutral(touchSql, [now.toISOString().replace("Z", "+00:00"), sessionId]);
  } else {
    await db.session.updateMany({ where: { id: sessionId }, data: { lastUsedAt: now } });
  }
}
const touchSql = `UPDATE "Session" SET "lastUsedAt" = ? WHERE "id" = ?`;

interface FoundSession {
  id: string;
  expiresAt: Date;
  revokedAt: Date | null;
  lastUsedAt: Date;
  user: PublicUser;
}

/**
 * The session of a token hash joined with its user's public fields (publicUserSelect), in one
 * statement on the tokenHash unique index, through the driver adapter (rawQueryOf): about 0.1 ms
 * of CPU where Prisma's findUnique with the relation costs about 1.5 ms (it compiles every query in
 * wasm and runs two statements). Written for each dialect's identifier quoting and placeholders;
 * databases without a raw path take the Prisma query.
 */
const lookupStatements = new WeakMap<Database, { raw: RawQuery; sql: string } | null>();

function lookupStatement(db: Database): { raw: RawQuery; sql: string } | null {
  let statement = lookupStatements.get(db);
  if (statement === undefined) {
    const raw = rawQueryOf(db);
    if (raw) {
      const q = (name: string) => (raw.dialect === "mysql" ? `\`${name}\`` : `"${name}"`);
      const userColumns = selectedColumns(publicUserSelect)
        .map((field) => `u.${q(field)} AS ${q(`user_${field}`)}`)
        .join(", ");
      const sql =
        `SELECT s.${q("id")} AS ${q("id")}, s.${q("expiresAt")} AS ${q("expiresAt")}, ` +
        `s.${q("revokedAt")} AS ${q("revokedAt")}, s.${q("lastUsedAt")} AS ${q("lastUsedAt")}, ${userColumns} ` +
        `FROM ${q("Session")} s JOIN ${q("User")} u ON u.${q("id")} = s.${q("userId")} ` +
        `WHERE s.${q("tokenHash")} = ${raw.dialect === "postgres" ? "$1" : "?"}`;
      statement = { raw, sql };
    } else {
      statement = null;
    }
    lookupStatements.set(db, statement);
  }
  return statement;
}

/**
 * The session a token opened, with its user's public fields, whatever its state (revoked, expired):
 * the caller decides. One raw statement on SQLite, as authenticateSession's lookup.
 */
export function findSessionByToken(db: Database, token: string): Promise<FoundSession | null> {
  return findSessionByTokenHash(db, hashSessionToken(token));
}

async function findSessionByTokenHash(db: Database, tokenHash: string): Promise<FoundSession | null> {
  const statement = lookupStatement(db);
  if (!statement) {
    return db.session.findUnique({
      where: { tokenHash },
      select: { id: true, expiresAt: true, revokedAt: true, lastUsedAt: true, user: { select: publicUserSelect } },
    });
  }
  const [row] = await statement.raw.rows(statement.sql, [tokenHash]);
  if (!row) return null;
  return {
    id: row.id as string,
    expiresAt: readTimestamp(row.expiresAt),
    revokedAt: row.revokedAt === null ? null : readTimestamp(row.revokedAt),
    lastUsedAt: readTimestamp(row.lastUsedAt),
    user: userFromRow(row, publicUserSelect, "user_"),
  };
}

/** Data for a new session row but its user; the login write (login-write.ts) adds the user and writes it. */
export function newSessionData(ctx: Context) {
  const token = createSessionToken();
  const now = ctx.now();
  const expiresAt = new Date(now.getTime() + ctx.deps.sessionTtlSeconds * 1000);
  return {
    token,
    data: {
      tokenHash: hashSessionToken(token),
      createdAt: now,
      lastUsedAt: now,
      expiresAt,
      userAgent: ctx.request.userAgent?.slice(0, USER_AGENT_MAX) ?? null,
      clientIp: ctx.request.clientIp ?? null,
    },
  };
}

/**
 * Deletes sessions that ended (expired or revoked) more than `retentionDays` ago. Ended sessions are
 * kept a while so a device list or an audit can still explain a logout; after that they are only
 * weight on the tokenHash index. Returns how many rows went.
 */
export async function purgeEndedSessions(db: Context["deps"]["db"], now: Date, retentionDays = 30): Promise<number> {
  const cutoff = new Date(now.getTime() - retentionDays * 24 * 3600 * 1000);
  const { count } = await db.session.deleteMany({
    where: { OR: [{ expiresAt: { lt: cutoff } }, { revokedAt: { lt: cutoff } }] },
  });
  return count;
}

/**
 * Ends one live session of `userId` (auth.revoke, the operator CLI) and drops the user's cached
 * sessions, so the token is refused on its very next call on every instance. False when no live
 * session with this id belongs to `userId`.
 */
export async function revokeSession(
  deps: Pick<ApiDependencies, "db" | "sessionCache">,
  target: { sessionId: string; userId: string },
  reason: string,
  now: Date,
): Promise<boolean> {
  const result = await deps.db.session.updateMany({
    where: { id: target.sessionId, userId: target.userId, revokedAt: null },
    data: { revokedAt: now, revokedReason: reason },
  });
  if (result.count === 0) return false;
  await deps.sessionCache.invalidateUser(target.userId);
  return true;
}
