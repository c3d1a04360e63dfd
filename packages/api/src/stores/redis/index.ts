import type { AccessTokenStore } from "@mp-auth/wechat";
import type { RateLimiterAbstract } from "rate-limiter-flexible";
import type { ApiLogger } from "../../context.ts";
import type { CodeExchangeCache } from "../../services/code-exchange-cache.ts";
import type { LoginRateLimiters, LoginRateLimitSettings } from "../../services/login-guards.ts";
import { createRedisAccessTokenStore } from "./access-token-store.ts";
import { createRedisCodeExchangeCache } from "./code-exchange-cache.ts";
import { createRedisConnection, type RedisConnection, type RedisStatus } from "./connection.ts";
import { createRedisLoginRateLimiters, createRedisUploadRateLimiter } from "./login-rate-limiters.ts";
import { createRedisSessionCache, type RedisSessionCache } from "./session-cache.ts";

export { createRedisConnection, type RedisConnection, type RedisStatus } from "./connection.ts";
export { createRedisSessionCache, type RedisSessionCache } from "./session-cache.ts";
export { createRedisAccessTokenStore } from "./access-token-store.ts";
export { createRedisCodeExchangeCache } from "./code-exchange-cache.ts";
export { createRedisLoginRateLimiters, createRedisUploadRateLimiter } from "./login-rate-limiters.ts";

export interface RedisSettings {
  /** REDIS_URL. */
  url: string;
  /** REDIS_KEY_PREFIX: one per deployment sharing a Redis. Default "mp-auth:". */
  keyPrefix?: string;
  commandTimeoutMs?: number;
  /** Upper bound of a cached session's TTL (see session-cache.ts). Default 10 minutes. */
  sessionCacheMaxEntryTtlMs?: number;
}

/** Everything an API instance shares with the others through Redis, on one connection. */
export interface RedisStores {
  connection: RedisConnection;
  /** For /healthz: `{ redis: status() }`. */
  status(): RedisStatus;
  loginRateLimiters: LoginRateLimiters;
  uploadRateLimiter: RateLimiterAbstract;
  codeExchangeCache: CodeExchangeCache;
  sessionCache: RedisSessionCache;
  /** The shared access token of one app: one Redis key (and refresh lock) per appid. */
  accessTokenStore(appid: string): AccessTokenStore;
  /** Starts connecting; until Redis answers, every store uses its fallback. */
  connect(): void;
  close(): Promise<void>;
}

export const DEFAULT_REDIS_KEY_PREFIX = "mp-auth:";

export function createRedisStores(
  settings: RedisSettings,
  context: {
    logger: ApiLogger;
    loginRateLimits: LoginRateLimitSettings;
    uploadRateLimitPerHour: number;
  },
): RedisStores {
  const connection = createRedisConnection({
    url: settings.url,
    keyPrefix: settings.keyPrefix ?? DEFAULT_REDIS_KEY_PREFIX,
    logger: context.logger,
    ...(settings.commandTimeoutMs === undefined ? {} : { commandTimeoutMs: settings.commandTimeoutMs }),
  });
  const sessionCache = createRedisSessionCache(connection, {
    logger: context.logger,
    ...(settings.sessionCacheMaxEntryTtlMs === undefined ? {} : { maxEntryTtlMs: settings.sessionCacheMaxEntryTtlMs }),
  });
  return {
    connection,
    status: () => connection.status(),
    loginRateLimiters: createRedisLoginRateLimiters(connection, context.loginRateLimits),
    uploadRateLimiter: createRedisUploadRateLimiter(connection, context.uploadRateLimitPerHour),
    codeExchangeCache: createRedisCodeExchangeCache(connection),
    sessionCache,
    accessTokenStore: (appid) => createRedisAccessTokenStore(connection, { appid }),
    connect: () => connection.connect(),
    close: async () => {
      sessionCache.close();
      await connection.close();
    },
  };
}
