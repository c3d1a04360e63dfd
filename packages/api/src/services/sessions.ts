import type { Prisma } from "@mp-auth/db";
import type { Context } from "../context.ts";
import { sessionRefused } from "../errors.ts";
import { publicUserSelect, type PublicUser } from "./users.ts";
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

/** Resolves the bearer token of the request to a live session, or throws UNAUTHORIZED with a reason. */
export async function authenticateSession(ctx: Context): Promise<AuthenticatedSession> {
  const { token, present } = readBearerToken(ctx.request.authorization);
  if (!present) throw sessionRefused("NO_TOKEN");
  if (!token || !isWellFormedSessionToken(token)) throw sessionRefused("MALFORMED_TOKEN");

  const tokenHash = hashSessionToken(token);
  // A cached entry only ever says "live" (services/session-cache.ts); any refusal comes from the database.
  const cached = await ctx.deps.sessionCache.lookup(tokenHash);
  if (cached.entry && cached.entry.expiresAt.getTime() > ctx.now().getTime()) {
    const { sessionId, expiresAt, user } = cached.entry;
    if (cached.lastUsedWriteDue) {
      await ctx.deps.db.session.updateMany({ where: { id: sessionId }, data: { lastUsedAt: ctx.now() } });
    }
    return { session: { id: sessionId, expiresAt }, user };
  }

  const session = await ctx.deps.db.session.findUnique({
    where: { tokenHash },
    select: { id: true, expiresAt: true, revokedAt: true, lastUsedAt: true, user: { select: publicUserSelect } },
  });
  if (!session) throw sessionRefused("UNKNOWN_TOKEN");
  if (session.revokedAt) throw sessionRefused("REVOKED");
  const now = ctx.now();
  if (session.expiresAt.getTime() <= now.getTime()) throw sessionRefused("EXPIRED");

  let lastUsedAt = session.lastUsedAt;
  if (now.getTime() - session.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
    await ctx.deps.db.session.update({ where: { id: session.id }, data: { lastUsedAt: now } });
    lastUsedAt = now;
  }
  await cached.remember(
    { sessionId: session.id, expiresAt: session.expiresAt, user: session.user },
    { lastUsedAt, now },
  );
  return { session: { id: session.id, expiresAt: session.expiresAt }, user: session.user };
}

/** Data for a new session row; the caller writes it (inside the login transaction). */
export function newSessionData(ctx: Context, userId: string) {
  const token = createSessionToken();
  const now = ctx.now();
  const expiresAt = new Date(now.getTime() + ctx.deps.sessionTtlSeconds * 1000);
  return {
    token,
    data: {
      tokenHash: hashSessionToken(token),
      userId,
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
