import { Redis } from "ioredis";
import type { ApiLogger } from "../../context.ts";

export type RedisStatus = "up" | "down";

export interface RedisConnectionOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://` (TLS). Never logged: it may hold a password. */
  url: string;
  /**
   * Put in front of every key (ioredis `keyPrefix`), so two deployments, or two test runs, sharing
   * one Redis never read each other's keys. A ":" is appended when missing.
   */
  keyPrefix: string;
  logger: ApiLogger;
  /** A command unanswered this long fails (the caller falls back). Default 500 ms. */
  commandTimeoutMs?: number;
  /** A TCP connect unanswered this long is abandoned and retried. Default 2000 ms. */
  connectTimeoutMs?: number;
}

export interface RedisConnection {
  /** The client; every key it sends is prefixed with `keyPrefix`. */
  readonly client: Redis;
  /** The full prefix, for Lua scripts that build key names themselves. */
  readonly keyPrefix: string;
  /** "up" while the connection is ready; for /healthz. */
  status(): RedisStatus;
  /** Told of every change of status, after it happened. */
  onStatusChange(listener: (status: RedisStatus) => void): void;
  /** Starts connecting (and reconnecting forever); failures are reported through status(), never thrown. */
  connect(): void;
  /** Resolves true once up, false after `timeoutMs` (startup: wait a little, then serve anyway). */
  waitUntilUp(timeoutMs: number): Promise<boolean>;
  close(): Promise<void>;
}

const DEFAULT_COMMAND_TIMEOUT_MS = 500;
const DEFAULT_CONNECT_TIMEOUT_MS = 2000;
/** Reconnect delays grow to this and stay: an outage ends at most this long after Redis is back. */
const MAX_RECONNECT_DELAY_MS = 2000;

/**
 * One Redis connection shared by the stores of one server instance, built to FAIL FAST while Redis
 * is unreachable, because every store has a fallback (the database, or this instance's memory) and
 * a request must not hang waiting for Redis:
 *
 * - `enableOfflineQueue: false`: a command issued while disconnected fails at once instead of
 *   queueing until Redis comes back (which could be minutes).
 * - `maxRetriesPerRequest: 0` and `autoResendUnfulfilledCommands: false`: commands in flight when the
 *   connection drops fail at once and are never replayed later (a replayed rate-limit INCR or cache
 *   write minutes later would be wrong).
 * - `commandTimeout`: a command unanswered in 500 ms fails (Redis answers in well under a millisecond
 *   on a LAN; 500 ms means it is in trouble).
 * - `socketTimeout`: a connection that stops answering while commands wait (a hung server, a
 *   silently dropped network) is destroyed, so the status turns "down" and later commands fail
 *   fast instead of each waiting for its timeout.
 * - Reconnects forever, every 2 s at most.
 *
 * The outage is logged once (a warn when it starts, an info when it ends), not once per command.
 */
export function createRedisConnection(options: RedisConnectionOptions): RedisConnection {
  const { logger } = options;
  const keyPrefix = normaliseKeyPrefix(options.keyPrefix);
  checkRedisUrl(options.url);
  const commandTimeoutMs = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  const client = new Redis(options.url, {
    keyPrefix,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    commandTimeout: commandTimeoutMs,
    socketTimeout: commandTimeoutMs * 2,
    connectTimeout: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    retryStrategy: (attempt) => Math.min(attempt * 200, MAX_RECONNECT_DELAY_MS),
    connectionName: "mp-auth",
    // Connects on connect(), once the rest of the instance started (no socket left behind a failed start).
    lazyConnect: true,
  });

  let up = false;
  let closing = false;
  let everUp = false;
  let outage: { since: number } | undefined;
  let lastError: string | undefined;
  const listeners = new Set<(status: RedisStatus) => void>();
  const notify = (status: RedisStatus) => {
    for (const listener of listeners) listener(status);
  };

  const noteDown = () => {
    if (closing) return;
    const wasUp = up;
    up = false;
    if (outage === undefined) {
      outage = { since: Date.now() };
      logger.warn(
        { redisError: lastError ?? "connection closed", keyPrefix },
        everUp
          ? "Redis is down: sessions are checked in the database, rate limits and caches use this instance's memory until it is back"
          : "Redis is unreachable: sessions are checked in the database, rate limits and caches use this instance's memory until it answers",
      );
    }
    if (wasUp) notify("down");
  };

  // Without an error listener ioredis prints every failed reconnect; the outage is logged once above.
  client.on("error", (error: Error) => {
    lastError = error.message;
    if (!up) noteDown();
  });
  client.on("close", noteDown);
  client.on("end", noteDown);
  client.on("ready", () => {
    up = true;
    if (outage !== undefined) {
      logger.info({ downForMs: Date.now() - outage.since, keyPrefix }, "Redis is reachable again");
      outage = undefined;
    } else if (!everUp) {
      logger.info({ keyPrefix }, "Redis connected");
    }
    everUp = true;
    lastError = undefined;
    notify("up");
  });

  return {
    client,
    keyPrefix,
    status: () => (up ? "up" : "down"),
    connect: () => {
      if (closing || client.status !== "wait") return;
      client.connect().catch(() => {
        // Reported by the error/close handlers; ioredis keeps retrying (retryStrategy).
      });
    },
    onStatusChange: (listener) => void listeners.add(listener),
    waitUntilUp: (timeoutMs) =>
      new Promise((resolve) => {
        if (up) return resolve(true);
        const onStatus = (status: RedisStatus) => {
          if (status !== "up") return;
          clearTimeout(timer);
          listeners.delete(onStatus);
          resolve(true);
        };
        const timer = setTimeout(() => {
          listeners.delete(onStatus);
          resolve(false);
        }, timeoutMs);
        listeners.add(onStatus);
      }),
    close: async () => {
      closing = true;
      up = false;
      listeners.clear();
      try {
        if (client.status === "ready") await client.quit();
        else client.disconnect();
      } catch {
        client.disconnect();
      }
    },
  };
}

function normaliseKeyPrefix(prefix: string): string {
  if (!prefix.trim()) throw new Error("Redis keyPrefix is empty: every key must be namespaced (e.g. `mp-auth:`)");
  if (/\s/.test(prefix)) throw new Error("Redis keyPrefix must not contain spaces");
  return prefix.endsWith(":") ? prefix : `${prefix}:`;
}

/** A clear startup error for a wrong REDIS_URL, without echoing it (it may contain a password). */
function checkRedisUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error("REDIS_URL is not a URL: expected redis://host:6379 (or rediss:// for TLS)");
  }
  if (parsed.protocol !== "redis:" && parsed.protocol !== "rediss:") {
    throw new Error(`REDIS_URL must start with redis:// or rediss://, not ${parsed.protocol}//`);
  }
}
