import type { RawQuery } from "@mp-auth/db";
import type { SessionCache, SessionCacheEntry, SessionCacheLookup } from "./session-cache.ts";

/** Write a session's lastUsedAt at most once a minute, as the database path does. */
const LAST_USED_RESOLUTION_MS = 60_000;
const DEFAULT_MAX_ENTRIES = 10_000;

interface StoredEntry {
  entry: SessionCacheEntry;
  /** The database's change stamp read BEFORE the lookup that produced the entry. */
  stamp: string;
  /** invalidateUser's generation at that moment. */
  generation: number;
  /** When lastUsedAt was last written (ms since epoch). */
  lastUsedAtMs: number;
}

/**
 * The single-instance SQLite session cache: token hash -> live session and public user, in this
 * process's memory, so a protected call on a cached token runs no SQL statement: one read of the
 * WAL-index header (RawQuery.changeStamp).
 *
 * It is EXACT, not "fresh within a TTL": an entry answers only while the database's change stamp
 * (RawQuery.changeStamp) is the one read before the entry's database lookup began. That stamp moves
 * when any other connection (another server process, the sqlite3 shell, a script) commits to the
 * file (SQLite rewrites the WAL-index header at every commit), and when any write statement of this process
 * enters or leaves the driver (a logout, a revoke, a profile change, a login), whoever issued it. So
 * any write anywhere empties the cache in effect; the next call per token reads the database once.
 * The only writes that keep it are lastUsedAt touches (RawQuery.runCacheNeutral): no entry holds that
 * column. Expiry is checked against the clock on every hit by the caller (authenticateSession).
 *
 * invalidateUser additionally drops every entry (a generation counter): it costs nothing and keeps
 * the SessionCache contract even for a write that went around the driver.
 *
 * Not used with Redis (several instances: the Redis cache is in charge) nor with PostgreSQL/MySQL:
 * they offer no cheap per-connection signal that another process committed, so a process-local
 * cache there could answer for a session another instance revoked.
 */
export function createInProcessSessionCache(raw: RawQuery, options: { maxEntries?: number } = {}): SessionCache {
  const maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
  const entries = new Map<string, StoredEntry>();
  let generation = 0;
  const miss: SessionCacheLookup = { entry: undefined, lastUsedWriteDue: false, remember: async () => {} };

  return {
    lookup(tokenHash) {
      const stamp = raw.changeStamp();
      if (stamp === undefined) return miss;
      const stored = entries.get(tokenHash);
      if (stored) {
        if (stored.stamp === stamp && stored.generation === generation) {
          const nowMs = Date.now();
          const lastUsedWriteDue = nowMs - stored.lastUsedAtMs > LAST_USED_RESOLUTION_MS;
          // Only this call writes it: the next ones within the minute see the new time.
          if (lastUsedWriteDue) stored.lastUsedAtMs = nowMs;
          return { entry: stored.entry, lastUsedWriteDue, remember: miss.remember };
        }
        entries.delete(tokenHash);
      }
      const generationAtLookup = generation;
      return {
        entry: undefined,
        lastUsedWriteDue: false,
        async remember(entry, facts) {
          // Something was written since the stamp was read: the answer may predate it. Not cached.
          if (generation !== generationAtLookup || raw.changeStamp() !== stamp) return;
          if (entries.size >= maxEntries) {
            // The oldest insertion goes first (a Map iterates in insertion order).
            const oldest = entries.keys().next().value;
            if (oldest !== undefined) entries.delete(oldest);
          }
          entries.set(tokenHash, { entry, stamp, generation, lastUsedAtMs: facts.lastUsedAt.getTime() });
        },
      };
    },
    async invalidateUser() {
      generation++;
      entries.clear();
    },
  };
}
