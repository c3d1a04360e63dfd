import { randomUUID } from "node:crypto";
import { createInMemoryAccessTokenStore, type AccessTokenStore, type CachedAccessToken } from "@mp-auth/wechat";
import type { RedisConnection } from "./connection.ts";
import { defineScript } from "./scripts.ts";

export interface RedisAccessTokenStoreOptions {
  /** One token per mini-program: the key is per appid. */
  appid: string;
  /** The lock expires on its own after this, should its holder die mid-refresh. Default 30 s. */
  lockTtlMs?: number;
  /** How often a waiting instance retries the lock. Default 25 ms (plus jitter). */
  lockPollMs?: number;
}

/** Deletes the key only when it still holds this value (a token, or a lock owner id). */
const COMPARE_AND_DELETE = defineScript(
  "mpAuthCompareAndDelete",
  1,
  `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`,
);

/** Deletes the token entry only when it holds this access token (compare-and-expire). */
const COMPARE_TOKEN_AND_DELETE = defineScript(
  "mpAuthAccessTokenCompareAndDelete",
  1,
  `
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
local ok, entry = pcall(cjson.decode, raw)
if ok and entry.accessToken == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`,
);

const DEFAULT_LOCK_TTL_MS = 30_000;
const DEFAULT_LOCK_POLL_MS = 25;

/**
 * The WeChat access token shared by every server instance, with a cross-instance refresh lock, so N
 * instances on a cold cache make ONE stable_token call: the lock holder asks WeChat and stores the
 * token; each waiter then takes the lock in turn, and the manager's `refresh` re-reads the store and
 * finds the fresh token without asking WeChat.
 *
 * The lock is `SET lock <random owner> NX PX lockTtlMs`, released by compare-and-delete of the
 * owner, so an instance whose lock expired (it hung past lockTtlMs) cannot release a lock another
 * instance took since. A waiter that waited longer than lockTtlMs refreshes without the lock.
 *
 * When Redis is down, this instance falls back to its own memory: get/set there, and refresh
 * without the lock. That is safe because the manager uses stable_token, which hands every caller
 * the SAME token (it never invalidates another instance's token, unlike the legacy /cgi-bin/token);
 * the cost is at most one stable_token call per instance during the outage.
 */
export function createRedisAccessTokenStore(
  connection: RedisConnection,
  options: RedisAccessTokenStoreOptions,
): AccessTokenStore {
  const { client } = connection;
  const tokenKey = `wechat-access-token:${options.appid}`;
  const lockKey = `wechat-access-token-lock:${options.appid}`;
  const lockTtlMs = options.lockTtlMs ?? DEFAULT_LOCK_TTL_MS;
  const lockPollMs = options.lockPollMs ?? DEFAULT_LOCK_POLL_MS;
  const memory = createInMemoryAccessTokenStore();
  const compareAndDelete = COMPARE_AND_DELETE.on(client);
  const compareTokenAndDelete = COMPARE_TOKEN_AND_DELETE.on(client);
  const redisUp = () => connection.status() === "up";

  return {
    async get() {
      if (!redisUp()) return memory.get();
      try {
        const raw = await client.get(tokenKey);
        return raw === null ? undefined : parseToken(raw);
      } catch {
        return memory.get();
      }
    },

    async set(token) {
      await memory.set(token);
      if (!redisUp() || token.expiresAt <= Date.now()) return;
      try {
        await client.set(tokenKey, JSON.stringify(token), "PXAT", token.expiresAt);
      } catch {
        // Other instances will fetch their own (the same stable token); nothing is lost.
      }
    },

    async compareAndDelete(accessToken) {
      const deletedHere = await memory.compareAndDelete(accessToken);
      if (!redisUp()) return deletedHere;
      try {
        return (await compareTokenAndDelete([tokenKey], [accessToken])) === 1;
      } catch {
        return deletedHere;
      }
    },

    async withRefreshLock(refresh) {
      const owner = randomUUID();
      const deadline = Date.now() + lockTtlMs;
      for (;;) {
        if (!redisUp()) return refresh();
        let acquired: boolean;
        try {
          acquired = (await client.set(lockKey, owner, "PX", lockTtlMs, "NX")) === "OK";
        } catch {
          return refresh();
        }
        if (acquired) {
          try {
            return await refresh();
          } finally {
            await compareAndDelete([lockKey], [owner]).catch(() => {
              // Unreleased, it expires after lockTtlMs; waiters then take it.
            });
          }
        }
        if (Date.now() >= deadline) return refresh();
        await sleep(lockPollMs + Math.random() * lockPollMs);
      }
    },
  };
}

function parseToken(raw: string): CachedAccessToken | undefined {
  try {
    const parsed = JSON.parse(raw) as Partial<CachedAccessToken>;
    if (typeof parsed.accessToken !== "string" || typeof parsed.expiresAt !== "number") return undefined;
    return { accessToken: parsed.accessToken, expiresAt: parsed.expiresAt };
  } catch {
    return undefined;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
