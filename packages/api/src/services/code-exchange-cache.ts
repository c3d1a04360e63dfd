/**
 * Remembers, for the 5 minutes a wx.login code lives, which session a code was exchanged for, so the
 * same code sent twice (a double tap, a retry after a timeout) returns the same session instead of
 * WeChat's 40163 "code been used". Keys are hashes of the code; values are encrypted by the caller.
 * Memory by default; a shared store (Redis) makes it work across server instances.
 */
export interface CodeExchangeCache {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
}

export interface MemoryCodeExchangeCache extends CodeExchangeCache {
  /** Entries held now, expired ones not yet dropped included. */
  readonly size: number;
}

/**
 * In this process. Entries are kept in insertion order (a Map) and every set drops the expired ones
 * at the front, stopping at the first live one: with one lifetime for all (a code's 5 minutes) they
 * expire in insertion order, so each set costs the entries it drops, not a walk over all of them
 * (which was most of a login's allocation at a few thousand logins per 5 minutes). With mixed
 * lifetimes an entry may outlive its time behind a longer-lived one; get checks each entry's own.
 */
export function createMemoryCodeExchangeCache(now: () => number = Date.now): MemoryCodeExchangeCache {
  const entries = new Map<string, { value: string; expiresAt: number }>();
  const dropExpired = (time: number) => {
    for (const [key, entry] of entries) {
      if (entry.expiresAt > time) return;
      entries.delete(key);
    }
  };
  return {
    get size() {
      return entries.size;
    },
    async get(key) {
      const entry = entries.get(key);
      if (!entry || entry.expiresAt <= now()) return undefined;
      return entry.value;
    },
    async set(key, value, ttlMs) {
      const time = now();
      dropExpired(time);
      // Deleted first, so a key set again moves to the end, in order with its new expiry.
      entries.delete(key);
      entries.set(key, { value, expiresAt: time + ttlMs });
    },
  };
}
