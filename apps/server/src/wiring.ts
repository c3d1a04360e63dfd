import path from "node:path";
import {
  createApiDependencies,
  sweepUnreferencedAvatars,
  type ApiConfig,
  type WechatSettings,
  type WiredApi,
} from "@mp-auth/api";
import { dataDir, defaultDatabaseUrl } from "@mp-auth/db";
import { MOCK_DEFAULT_APPID, mockAppsFor, startMockWechat, type MockWechat } from "@mp-auth/wechat/mock";
import type { Logger } from "pino";
import { loadAtRestKey } from "./at-rest-key.ts";
import { realWechatApps, uploadOriginFromRequest, usesMockWechat, type ServerEnv } from "./env.ts";

export interface WiredServer {
  deps: WiredApi;
  /** Set when no real app is configured: the mock WeChat this server started and talks to. */
  mock: MockWechat | undefined;
  /** `true` reflects any origin; a list allows those origins; empty means no CORS headers. */
  corsOrigins: true | string[];
  /** Stops the avatar sweep, closes the database, then the mock. */
  close(): Promise<void>;
}

const AVATAR_SWEEP_INTERVAL_MS = 3600_000;

/**
 * Turns the parsed settings into running parts: the mock WeChat when no real app is configured,
 * then the API's dependencies through createApiDependencies (the same call the tests make).
 */
export async function wireServer(env: ServerEnv, logger: Logger): Promise<WiredServer> {
  let mock: MockWechat | undefined;
  let wechat: { apps: readonly { appid: string; secret: string }[]; baseUrl: string };
  const mockWanted = usesMockWechat(env);
  const realApps = realWechatApps(env);
  if (realApps.length > 0) {
    wechat = { apps: realApps, baseUrl: env.WX_API_BASE };
    // Appids only: secrets never reach a log line.
    logger.info({ appids: realApps.map((app) => app.appid), wechatApiBase: env.WX_API_BASE }, "using WeChat");
  } else if (mockWanted) {
    mock = await startMockWechat({
      host: "127.0.0.1",
      port: env.WX_MOCK_PORT,
      apps: mockAppsFor(env.WX_MOCK_APPIDS ?? [MOCK_DEFAULT_APPID]),
    });
    wechat = { apps: mock.apps, baseUrl: mock.url };
    logger.warn(
      { mockWechatUrl: mock.url, appids: mock.apps.map((app) => app.appid) },
      "Using the MOCK WeChat server (WX_APPID unset): logins are fake; set WX_APPID and WX_SECRET for a real mini-program.",
    );
  } else {
    // env.ts refuses this combination; kept as a guard so no path can start without WeChat.
    throw new Error("No WeChat app configured: set WX_APPID and WX_SECRET, or WX_MOCK=1.");
  }

  try {
    const deps = await createApiDependencies(apiConfigFromEnv(env, wechat, logger));

    if (env.REDIS_URL && env.AVATAR_STORAGE === "local") {
      // Redis is what several instances share; local avatars are then served by one of them only.
      logger.warn(
        "AVATAR_STORAGE=local with REDIS_URL set: each instance serves only the avatars uploaded to it. With several instances, set AVATAR_STORAGE=database.",
      );
    }
    if (uploadOriginFromRequest(env) === "warn") {
      logger.warn(
        "PUBLIC_URL is not set: avatar URLs take their origin from each upload request's Host header. Fine for a demo on the mock WeChat; set PUBLIC_URL for anything real.",
      );
    }

    // Uploads no profile references (picked and then not used, or replaced while a delete failed)
    // are deleted once older than AVATAR_UNREFERENCED_RETENTION_HOURS: at start and every hour.
    // The running sweep, awaited on close so it never queries a closed database.
    let sweeping: Promise<unknown> = Promise.resolve();
    const sweepAvatars = () => {
      const storedBefore = new Date(Date.now() - env.AVATAR_UNREFERENCED_RETENTION_HOURS * 3600_000);
      sweeping = sweepUnreferencedAvatars(deps, storedBefore).then(
        (count) => count > 0 && logger.info({ count }, "deleted avatar uploads no profile uses"),
        (error: unknown) => logger.warn({ err: error }, "sweeping unreferenced avatars failed"),
      );
    };
    sweepAvatars();
    const sweepTimer = setInterval(sweepAvatars, AVATAR_SWEEP_INTERVAL_MS);
    sweepTimer.unref();

    const corsList = env.CORS_ORIGINS?.split(",")
      .map((origin) => origin.trim())
      .filter(Boolean);
    // Permissive CORS only against the mock (local development); a real deployment lists its origins.
    const corsOrigins = corsList?.includes("*") ? true : (corsList ?? (mockWanted ? true : []));

    return {
      deps,
      mock,
      corsOrigins,
      close: async () => {
        clearInterval(sweepTimer);
        await sweeping;
        await deps.close();
        await mock?.close();
      },
    };
  } catch (error) {
    await mock?.close();
    throw error;
  }
}

/**
 * The API's settings from the server's settings: the one translation, used by the server (above) and
 * by the operator CLI (`pnpm admin`, src/admin), so both open the same database, Redis and keys.
 */
export function apiConfigFromEnv(env: ServerEnv, wechat: WechatSettings, logger: Logger): ApiConfig {
  const atRestKey = loadAtRestKey(env.SESSION_KEY_ENCRYPTION_KEY, dataDir);
  if (atRestKey.source === "dev-file") {
    logger.warn(
      "SESSION_KEY_ENCRYPTION_KEY is not set: secrets at rest are encrypted with a generated dev key in .data/.",
    );
  }
  return {
    databaseUrl: env.DATABASE_URL ?? defaultDatabaseUrl(),
    database: {
      busyTimeoutMs: env.DATABASE_BUSY_TIMEOUT_MS,
      fileCheckIntervalMs: env.DATABASE_FILE_CHECK_INTERVAL_MS,
      sqliteSynchronous: env.SQLITE_SYNCHRONOUS,
    },
    wechat: { ...wechat, timeoutMs: env.WX_TIMEOUT_MS },
    atRestKey: atRestKey.key,
    previousAtRestKeys: env.SESSION_KEY_ENCRYPTION_KEY_PREVIOUS
      ? [Buffer.from(env.SESSION_KEY_ENCRYPTION_KEY_PREVIOUS, "base64")]
      : [],
    sessionTtlSeconds: env.SESSION_TTL_SECONDS,
    loginRateLimits: {
      perIpPerMinute: env.LOGIN_RATE_LIMIT_PER_IP,
      perOpenidPerMinute: env.LOGIN_RATE_LIMIT_PER_OPENID,
    },
    uploadRateLimitPerHour: env.UPLOAD_RATE_LIMIT_PER_USER,
    // Development serves its own uploads over http; production avatars must be https.
    allowHttpAvatarUrls: env.NODE_ENV !== "production" || usesMockWechat(env),
    avatarStorage: env.AVATAR_STORAGE,
    avatarDir: path.join(env.UPLOAD_DIR ?? path.join(dataDir, "uploads"), "avatars"),
    publicUrl: env.PUBLIC_URL,
    redis: env.REDIS_URL ? { url: env.REDIS_URL, keyPrefix: env.REDIS_KEY_PREFIX } : undefined,
    logger,
  };
}
