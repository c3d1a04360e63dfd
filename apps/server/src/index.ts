import type { AddressInfo } from "node:net";
import path from "node:path";
import {
  createMemoryCodeExchangeCache,
  createMemoryLoginRateLimiters,
  createSessionKeyCipher,
  purgeEndedSessions,
} from "@mp-auth/api";
import { createDatabase, dataDir, defaultDatabaseUrl, migrateDatabase } from "@mp-auth/db";
import { createAccessTokenManager, createWechatClient, createWechatServerApi } from "@mp-auth/wechat";
import { MOCK_DEFAULT_APPID, MOCK_DEFAULT_SECRET, startMockWechat, type MockWechat } from "@mp-auth/wechat/mock";
import type { DestinationStream } from "pino";
import { parseServerEnv } from "./env.ts";
import { createHttpServer } from "./http-server.ts";
import { createLogger } from "./logger.ts";
import { loadSessionKeySecret } from "./session-key-secret.ts";

export { ConfigError, parseServerEnv, type ServerEnv } from "./env.ts";

export interface StartServerOptions {
  /** Settings, as in process.env. */
  env: Record<string, string | undefined>;
  /** Where log lines go (stdout by default); tests capture them to check nothing secret is logged. */
  logDestination?: DestinationStream;
}

export interface RunningServer {
  /** e.g. http://127.0.0.1:3000 */
  url: string;
  /** e.g. http://127.0.0.1:3000/trpc */
  trpcUrl: string;
  /** Set when the server started its own mock WeChat (WX_APPID unset). */
  mockWechatUrl?: string;
  /** Stops accepting requests, lets in-flight ones finish, closes the database and the mock. */
  close(): Promise<void>;
}

/**
 * Starts the whole server: config, database (migrated), WeChat client (the mock when WX_APPID is
 * unset), HTTP. Used by main.ts and by every test that needs a real server.
 */
export async function startServer({ env: rawEnv, logDestination }: StartServerOptions): Promise<RunningServer> {
  const env = parseServerEnv(rawEnv);
  const logger = createLogger(env.LOG_LEVEL, logDestination);

  let mock: MockWechat | undefined;
  let wechatConfig: { appid: string; secret: string; baseUrl: string };
  if (env.WX_APPID && env.WX_SECRET) {
    wechatConfig = { appid: env.WX_APPID, secret: env.WX_SECRET, baseUrl: env.WX_API_BASE };
    logger.info({ appid: env.WX_APPID, wechatApiBase: env.WX_API_BASE }, "using WeChat");
  } else {
    mock = await startMockWechat({
      host: "127.0.0.1",
      port: env.WX_MOCK_PORT,
      appid: MOCK_DEFAULT_APPID,
      secret: MOCK_DEFAULT_SECRET,
    });
    wechatConfig = { appid: mock.appid, secret: mock.secret, baseUrl: mock.url };
    logger.warn(
      { mockWechatUrl: mock.url, appid: mock.appid },
      "WX_APPID is not set: using the MOCK WeChat server. Logins are fake; set WX_APPID and WX_SECRET for a real mini-program.",
    );
  }

  const databaseUrl = env.DATABASE_URL ?? defaultDatabaseUrl();
  try {
    await migrateDatabase(databaseUrl);
    const db = await createDatabase(databaseUrl);
    const secret = loadSessionKeySecret(env.SESSION_KEY_ENCRYPTION_KEY, dataDir);
    if (secret.source === "dev-file") {
      logger.warn(
        "SESSION_KEY_ENCRYPTION_KEY is not set: session_keys are encrypted with a generated dev key in .data/.",
      );
    }

    // stable_token, not the legacy /cgi-bin/token: several instances share one token without
    // invalidating each other's (see packages/wechat/README.md).
    const accessTokens = createAccessTokenManager({
      ...wechatConfig,
      timeoutMs: env.WX_TIMEOUT_MS,
      onRefreshError: (error) => logger.warn({ err: error }, "access_token refresh failed"),
    });
    const deps = {
      db,
      wechat: createWechatClient({ ...wechatConfig, timeoutMs: env.WX_TIMEOUT_MS }),
      wechatServer: createWechatServerApi({
        accessTokens,
        baseUrl: wechatConfig.baseUrl,
        timeoutMs: env.WX_TIMEOUT_MS,
      }),
      appid: wechatConfig.appid,
      sessionTtlSeconds: env.SESSION_TTL_SECONDS,
      sessionKeyCipher: createSessionKeyCipher(secret.key),
      logger,
      loginRateLimiters: createMemoryLoginRateLimiters({
        perIpPerMinute: env.LOGIN_RATE_LIMIT_PER_IP,
        perOpenidPerMinute: env.LOGIN_RATE_LIMIT_PER_OPENID,
      }),
      codeExchangeCache: createMemoryCodeExchangeCache(),
      // Development serves its own uploads over http; production avatars must be https.
      allowHttpAvatarUrls: env.NODE_ENV !== "production" || Boolean(mock),
    };

    const corsList = env.CORS_ORIGINS?.split(",")
      .map((origin) => origin.trim())
      .filter(Boolean);
    // Permissive CORS only against the mock (local development); a real deployment lists its origins.
    const corsOrigins = corsList?.includes("*") ? true : (corsList ?? (mock ? true : []));
    const server = createHttpServer({
      deps,
      logger,
      corsOrigins,
      trustProxy: env.TRUST_PROXY,
      uploadDir: env.UPLOAD_DIR ?? path.join(dataDir, "uploads"),
      publicUrl: env.PUBLIC_URL,
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(env.PORT, env.HOST, () => resolve());
    });
    // Ended sessions are kept SESSION_RETENTION_DAYS for the record, then deleted: at start and every 6 hours.
    const purge = () =>
      purgeEndedSessions(db, new Date(), env.SESSION_RETENTION_DAYS).then(
        (count) => count > 0 && logger.info({ count }, "purged ended sessions"),
        (error: unknown) => logger.warn({ err: error }, "purging ended sessions failed"),
      );
    await purge();
    const purgeTimer = setInterval(() => void purge(), 6 * 3600 * 1000);
    purgeTimer.unref();

    const { port } = server.address() as AddressInfo;
    const host = env.HOST === "0.0.0.0" || env.HOST === "::" ? "127.0.0.1" : env.HOST;
    const url = `http://${host}:${port}`;
    logger.info({ url, trpcUrl: `${url}/trpc`, sessionTtlSeconds: env.SESSION_TTL_SECONDS }, "server listening");

    let closing: Promise<void> | undefined;
    return {
      url,
      trpcUrl: `${url}/trpc`,
      ...(mock ? { mockWechatUrl: mock.url } : {}),
      close: () =>
        (closing ??= (async () => {
          clearInterval(purgeTimer);
          await new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeIdleConnections();
          });
          await db.$disconnect();
          await mock?.close();
          logger.info("server stopped");
        })()),
    };
  } catch (error) {
    await mock?.close();
    throw error;
  }
}
