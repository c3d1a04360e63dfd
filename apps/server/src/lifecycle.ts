import type { AddressInfo } from "node:net";
import { purgeEndedSessions, purgeLoginHistory } from "@mp-auth/api";
import type { DestinationStream } from "pino";
import { parseServerEnv } from "./env.ts";
import { httpBounds } from "./http-bounds.ts";
import { createHttpServer } from "./http-server.ts";
import { createLogger } from "./logger.ts";
import { loadSheddingSettings } from "./load-shedding.ts";
import { createHttpDrain } from "./shutdown.ts";
import { wireServer } from "./wiring.ts";

export interface StartServerOptions {
  /** Settings, as in process.env. */
  env: Record<string, string | undefined>;
  /** Where log lines go (stdout by default); tests capture them to check nothing secret is logged. */
  logDestination?: DestinationStream;
  /** Which path /trpc requests take (http-server.ts); tests force "stock" to compare both. */
  trpcPath?: "fast" | "stock";
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

/** Ended sessions are purged at start and then this often. */
const PURGE_INTERVAL_MS = 6 * 3600 * 1000;

/**
 * Starts the whole server: configuration, wiring (database migrated, WeChat client or the mock),
 * HTTP, the purge timer. Used by main.ts and by every test that needs a real server.
 */
export async function startServer({
  env: rawEnv,
  logDestination,
  trpcPath,
}: StartServerOptions): Promise<RunningServer> {
  const env = parseServerEnv(rawEnv);
  const logger = createLogger(env.LOG_LEVEL, logDestination);
  const wired = await wireServer(env, logger);
  const { deps } = wired;

  const server = createHttpServer({
    deps,
    logger,
    corsOrigins: wired.corsOrigins,
    trustProxy: env.TRUST_PROXY,
    loadShedding: loadSheddingSettings(env),
    redisStatus: deps.redis ? () => deps.redis!.status() : undefined,
    maxBatchSize: env.MAX_BATCH_SIZE,
    bounds: httpBounds(env),
    ...(trpcPath ? { trpcPath } : {}),
  });
  // Before listen, so it sees every request: the drain answers in-flight requests with
  // `Connection: close` and closes idle kept-alive sockets when the server stops.
  const drain = createHttpDrain(server);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(env.PORT, env.HOST, () => resolve());
    });
  } catch (error) {
    await wired.close();
    throw error;
  }

  // Ended sessions are kept SESSION_RETENTION_DAYS for the record, then deleted; login attempts
  // LOGIN_HISTORY_RETENTION_DAYS.
  const purge = () =>
    Promise.all([
      purgeEndedSessions(deps.db, new Date(), env.SESSION_RETENTION_DAYS).then(
        (count) => count > 0 && logger.info({ count }, "purged ended sessions"),
        (error: unknown) => logger.warn({ err: error }, "purging ended sessions failed"),
      ),
      purgeLoginHistory(deps.db, new Date(), env.LOGIN_HISTORY_RETENTION_DAYS).then(
        (count) => count > 0 && logger.info({ count }, "purged old login history"),
        (error: unknown) => logger.warn({ err: error }, "purging login history failed"),
      ),
    ]);
  await purge();
  const purgeTimer = setInterval(() => void purge(), PURGE_INTERVAL_MS);
  purgeTimer.unref();

  const { port } = server.address() as AddressInfo;
  const host = env.HOST === "0.0.0.0" || env.HOST === "::" ? "127.0.0.1" : env.HOST;
  const url = `http://${host}:${port}`;
  logger.info(
    {
      url,
      trpcUrl: `${url}/trpc`,
      sessionTtlSeconds: env.SESSION_TTL_SECONDS,
      trustProxy: env.TRUST_PROXY.description,
    },
    "server listening",
  );

  let closing: Promise<void> | undefined;
  return {
    url,
    trpcUrl: `${url}/trpc`,
    ...(wired.mock ? { mockWechatUrl: wired.mock.url } : {}),
    close: () =>
      (closing ??= (async () => {
        clearInterval(purgeTimer);
        const { forced } = await drain.close(env.SHUTDOWN_GRACE_MS);
        if (forced) logger.warn({ graceMs: env.SHUTDOWN_GRACE_MS }, "shutdown grace period over: connections cut");
        await wired.close();
        logger.info("server stopped");
      })()),
  };
}
