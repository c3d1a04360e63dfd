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

export function createMemoryCodeExchangeCache(now: () => number = Date.now): CodeExchangeCache {
  const entries = new Map<string, { value: string; expiresAt: number }>();
  const prune = () => {
    const time = now();
    for (const [key, entry] of entries) if (entry.expiresAt <= time) entries.delete(key);
  };
  return {
    async get(key) {
      const entry = entries.get(key);
      if (!entry || entry.expiresAt <= now()) return undefined;
      return entry.value;
    },
    async set(key, value, ttlMs) {
      prune();
      entries.set(key, { value, expiresAt: now() + ttlMs });
    },
  };
}
