import { createDatabase, migrateDatabase, rawQueryOf, type DatabaseOptions } from "@mp-auth/db";
import { createWechatClient } from "@mp-auth/wechat";
import type { ApiDependencies, ApiLogger, WechatApp } from "./context.ts";
import { createLocalAvatarStore, type AvatarStore } from "./services/avatars.ts";
import { createDatabaseAvatarStore } from "./services/database-avatar-store.ts";
import { createMemoryCodeExchangeCache } from "./services/code-exchange-cache.ts";
import { createMemoryLoginRateLimiters } from "./services/login-guards.ts";
import { createSecretBox } from "./services/secret-box.ts";
import { createInProcessSessionCache } from "./services/in-process-session-cache.ts";
import { createNoSessionCache } from "./services/session-cache.ts";
import { createMemoryUploadRateLimiter, DEFAULT_UPLOAD_RATE_LIMIT_PER_HOUR } from "./services/upload-limits.ts";
import { createRedisStores, type RedisSettings, type RedisStores } from "./stores/redis/index.ts";

export interface ApiConfig {
  /** A SQLite `file:` URL; migrated before use. */
  databaseUrl: string;
  /** How long a write waits for another process's lock, how often the file is checked. */
  database?: DatabaseOptions;
  /**
   * The WeChat app (or the mock's) and where its API answers; for several mini-programs on one
   * server, `apps` instead of `appid` and `secret`.
   */
  wechat: WechatSettings;
  /** 32 bytes: encrypts session_keys and cached code exchanges at rest. */
  atRestKey: Buffer;
  /** Keys rotated out (SESSION_KEY_ENCRYPTION_KEY_PREVIOUS): still decrypt, never encrypt. */
  previousAtRestKeys?: readonly Buffer[];
  sessionTtlSeconds: number;
  loginRateLimits: { perIpPerMinute: number; perOpenidPerMinute: number };
  /** Avatar uploads one user may make per hour (default DEFAULT_UPLOAD_RATE_LIMIT_PER_HOUR). */
  uploadRateLimitPerHour?: number;
  allowHttpAvatarUrls: boolean;
  /**
   * Where uploaded avatars live (AVATAR_STORAGE): "local" (default) files under `avatarDir`, for one
   * instance; "database" rows of the AvatarFile table, served by every instance sharing the database.
   */
  avatarStorage?: AvatarStorage;
  /** Folder of uploaded avatar files (created on demand), for the local store. */
  avatarDir: string;
  /** Another store (an S3-compatible bucket, say) instead of either built-in one. */
  avatarStore?: AvatarStore;
  publicUrl?: string | undefined;
  logger: ApiLogger;
  now?: () => Date;
  /** REDIS_URL and friends: share rate limits, caches, the access token and sessions across instances. */
  redis?: RedisSettings | undefined;
}

/** One mini-program's credentials. The secret only ever leaves the process inside requests to WeChat. */
export interface WechatAppCredentials {
  appid: string;
  secret: string;
}

export type WechatSettings = { baseUrl: string; timeoutMs?: number } & (
  WechatAppCredentials | { apps: readonly WechatAppCredentials[] }
);

/** The apps of the settings, one or several; each appid once, at least one. */
export function wechatAppsOf(settings: WechatSettings): readonly WechatAppCredentials[] {
  const apps = "apps" in settings ? settings.apps : [{ appid: settings.appid, secret: settings.secret }];
  if (apps.length === 0) throw new Error("createApiDependencies: wechat.apps must name at least one app");
  if (new Set(apps.map((app) => app.appid)).size !== apps.length) {
    throw new Error("createApiDependencies: each appid in wechat.apps once");
  }
  return apps;
}

/** The built-in avatar stores (AVATAR_STORAGE). */
export const avatarStorages = ["local", "database"] as const;
export type AvatarStorage = (typeof avatarStorages)[number];

export interface WiredApi extends ApiDependencies {
  /** Set when `redis` was configured; `redis.status()` is the /healthz field. */
  redis: RedisStores | undefined;
  /** Closes the database connection (and Redis). */
  close(): Promise<void>;
}

/**
 * Builds every dependency of the API from plain settings: the one wiring, used by the server and by
 * the tests, so what the tests run is what the server runs.
 */
export async function createApiDependencies(config: ApiConfig): Promise<WiredApi> {
  // Fail on bad settings before anything is opened.
  const secretBox = createSecretBox(config.atRestKey, config.previousAtRestKeys);
  // Connects only at the end (redis.connect()), so a failed start leaves no reconnecting socket behind.
  const uploadRateLimitPerHour = config.uploadRateLimitPerHour ?? DEFAULT_UPLOAD_RATE_LIMIT_PER_HOUR;
  const redis = config.redis
    ? createRedisStores(config.redis, {
        logger: config.logger,
        loginRateLimits: config.loginRateLimits,
        uploadRateLimitPerHour,
      })
    : undefined;
  // One client per app, so one access token manager per app: phone number and checksession calls
  // of an app share its token (in Redis under a key of that appid when Redis is configured).
  const { baseUrl, timeoutMs } = config.wechat;
  const apps = new Map<string, WechatApp>();
  for (const { appid, secret } of wechatAppsOf(config.wechat)) {
    const wechat = createWechatClient({
      appid,
      secret,
      baseUrl,
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
      accessTokens: {
        ...(redis ? { store: redis.accessTokenStore(appid) } : {}),
        onRefreshError: (error) => config.logger.warn({ err: error, appid }, "access_token refresh failed"),
      },
    });
    apps.set(appid, { appid, wechat });
  }
  const migrations = await migrateDatabase(config.databaseUrl);
  if (migrations.applied.length > 0) config.logger.info({ migrations: migrations.applied }, "database migrated");
  if (migrations.changedSinceApplied.length > 0) {
    config.logger.warn(
      { migrations: migrations.changedSinceApplied },
      "migration files changed after they were applied: write a new migration instead of editing an applied one",
    );
  }
  const db = await createDatabase(config.databaseUrl, config.database);
  redis?.connect();
  // Single instance on SQLite: an exact in-process cache (the WAL-index header + own writes). With Redis the
  // shared cache is in charge; PostgreSQL/MySQL have no cheap cross-process change signal: no cache.
  const direct = redis ? undefined : rawQueryOf(db);
  return {
    db,
    apps,
    sessionTtlSeconds: config.sessionTtlSeconds,
    secretBox,
    logger: config.logger,
    loginRateLimiters: redis?.loginRateLimiters ?? createMemoryLoginRateLimiters(config.loginRateLimits),
    uploadRateLimiter: redis?.uploadRateLimiter ?? createMemoryUploadRateLimiter(uploadRateLimitPerHour),
    codeExchangeCache: redis?.codeExchangeCache ?? createMemoryCodeExchangeCache(),
    sessionCache: redis?.sessionCache ?? (direct ? createInProcessSessionCache(direct) : createNoSessionCache()),
    redis,
    allowHttpAvatarUrls: config.allowHttpAvatarUrls,
    avatarStore:
      config.avatarStore ??
      (config.avatarStorage === "database" ? createDatabaseAvatarStore(db) : createLocalAvatarStore(config.avatarDir)),
    publicUrl: config.publicUrl,
    ...(config.now ? { now: config.now } : {}),
    close: async () => {
      await redis?.close();
      await db.$disconnect();
    },
  };
}
