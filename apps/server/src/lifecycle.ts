import type { AddressInfo } from "node:net";
import { purgeEndedSessions } from "@mp-auth/api";
import type { DestinationStream } from "pino";
import { parseServerEnv } from "./env.ts";
import { createHttpServer } from "./http-server.ts";
import { createLogger } from "./logger.ts";
import { wireServer } from "./wiring.ts";

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

/** Ended sessions are purged at start and then this often. */
const PURGE_INTERVAL_MS = 6 * 3600 * 1000;
/** After a signal, in-flight requests get this long to finish; then the process ends anyway. */
const SHUTDOWN_GRACE_MS = 10_000;

/**
 * Starts the whole server: configuration, wiring (database migrated, WeChat client or the mock),
 * HTTP, the purge timer. Used by main.ts and by every test that needs a real server.
 */
export async function startServer({ env: rawEnv, logDestination }: StartServerOptions): Promise<RunningServer> {
  const env = parseServerEnv(rawEnv);
  const logger = createLogger(env.LOG_LEVEL, logDestination);
  const wired = await wireServer(env, logger);
  const { deps } = wired;

  const server = createHttpServer({ deps, logger, corsOrigins: wired.corsOrigins, trustProxy: env.TRUST_PROXY });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(env.PORT, env.HOST, () => resolve());
    });
  } catch (error) {
    await wired.close();
    throw error;
  }

  // Ended sessions are kept SESSION_RETENTION_DAYS for the record, then deleted.
  const purge = () =>
    purgeEndedSessions(deps.db, new Date(), env.SESSION_RETENTION_DAYS).then(
      (count) => count > 0 && logger.info({ count }, "purged ended sessions"),
      (error: unknown) => logger.warn({ err: error }, "purging ended sessions failed"),
    );
  await purge();
  const purgeTimer = setInterval(() => void purge(), PURGE_INTERVAL_MS);
  purgeTimer.unref();

  const { port } = server.address() as AddressInfo;
  const host = env.HOST === "0.0.0.0" || env.HOST === "::" ? "127.0.0.1" : env.HOST;
  const url = `http://${host}:${port}`;
  logger.info({ url, trpcUrl: `${url}/trpc`, sessionTtlSeconds: env.SESSION_TTL_SECONDS }, "server listening");

  let closing: Promise<void> | undefined;
  return {
    url,
    trpcUrl: `${url}/trpc`,
    ...(wired.mock ? { mockWechatUrl: wired.mock.url } : {}),
    close: () =>
      (closing ??= (async () => {
        clearInterval(purgeTimer);
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
        });
        await wired.close();
        logger.info("server stopped");
      })()),
  };
}

/** On SIGINT or SIGTERM: stop gracefully, exit 0 (1 if closing fails or outlasts the grace period). */
export function closeOnSignals(server: RunningServer, log: (line: string) => void = console.error): void {
  const shutdown = (signal: string) => {
    log(`${signal} received: shutting down`);
    setTimeout(() => process.exit(1), SHUTDOWN_GRACE_MS).unref();
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGINT", () => shutdown("SIGINT"));
  process.once("SIGTERM", () => shutdown("SIGTERM"));
}
