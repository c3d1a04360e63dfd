import { createMemoryCodeExchangeCache, type CodeExchangeCache } from "../../services/code-exchange-cache.ts";
import type { RedisConnection } from "./connection.ts";

/**
 * Code exchanges shared by every server instance, so a double-submitted wx.login code answers the
 * same session whichever instance gets the second request. Values arrive encrypted by the caller
 * (the secret box) and are stored as given; keys are hashes of the code.
 *
 * Every entry is also kept in this instance's memory: while Redis is down (or lost the entry) a
 * duplicate reaching THIS instance still gets its session; one reaching another instance gets
 * WX_CODE_USED, and the client logs in again with a new code.
 */
export function createRedisCodeExchangeCache(connection: RedisConnection): CodeExchangeCache {
  const { client } = connection;
  const memory = createMemoryCodeExchangeCache();
  const key = (codeKey: string) => `code-exchange:${codeKey}`;
  return {
    async get(codeKey) {
      if (connection.status() === "up") {
        try {
          const value = await client.get(key(codeKey));
          if (value !== null) return value;
        } catch {
          // Fall through to memory.
        }
      }
      return memory.get(codeKey);
    },
    async set(codeKey, value, ttlMs) {
      await memory.set(codeKey, value, ttlMs);
      if (connection.status() !== "up") return;
      try {
        await client.set(key(codeKey), value, "PX", Math.max(1, Math.ceil(ttlMs)));
      } catch {
        // Kept in memory above; only another instance will miss it.
      }
    },
  };
}
