import type { PublicUser } from "./users.ts";

/** What a cached token-hash lookup answers: everything authenticateSession returns, and no more. */
export interface SessionCacheEntry {
  sessionId: string;
  expiresAt: Date;
  /** The user's public fields (ctx.user), so a hit needs no database query at all. */
  user: PublicUser;
}

export interface SessionCacheLookup {
  /** A cached live session for the token hash, or undefined (not cached, or the cache is unusable). */
  entry: SessionCacheEntry | undefined;
  /** On a hit: true when this call should write the session's lastUsedAt (once a minute, across instances). */
  lastUsedWriteDue: boolean;
  /**
   * On a miss: caches what the database just answered. Refuses silently when an invalidation of this
   * user happened since `lookup` began (the database answer may predate it). Never throws.
   */
  remember: (entry: SessionCacheEntry, facts: { lastUsedAt: Date; now: Date }) => Promise<void>;
}

/**
 * A cache of the token-hash -> session lookup of authenticateSession, shared by every server
 * instance (Redis), so a protected call needs no database query while the cache holds the token.
 *
 * The database stays the source of truth. The cache may forget anything at any time; it must never
 * answer "valid" for a token the database would refuse. So every write that changes what an entry
 * holds calls `invalidateUser(userId)` AFTER its transaction commits, and awaits it before
 * answering:
 * - a session ending: auth.logout, auth.revoke, auth.logoutAll, banUser, deleteAccount;
 * - a public user field changing: user.updateProfile, user.bindPhone (the caller AND any user the
 *   number moved away from), a login (lastLoginAt).
 * A session's expiresAt never changes after creation; sliding expiry would have to invalidate too.
 *
 * Invalidation is per user (all the user's cached tokens), never per token: logout and revoke are
 * rare, the user's other devices simply read the database once more, and one path is easier to keep
 * right than several.
 */
export interface SessionCache {
  /** A cache in this process's memory answers synchronously: a hit then costs no promise. */
  lookup(tokenHash: string): SessionCacheLookup | Promise<SessionCacheLookup>;
  /** Drops every cached entry of the user and blocks stale re-population. Never throws. */
  invalidateUser(userId: string): Promise<void>;
}

const MISS: SessionCacheLookup = { entry: undefined, lastUsedWriteDue: false, remember: async () => {} };

/** The single-instance default: caches nothing, so every call reads the database. */
export function createNoSessionCache(): SessionCache {
  return {
    lookup: async () => MISS,
    invalidateUser: async () => {},
  };
}
