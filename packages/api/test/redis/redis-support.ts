import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { requireRedisForTests, testRedisUrl, uniqueRedisKeyPrefix } from "@mp-auth/db/testing";
import { Redis } from "ioredis";

/** The shared Redis of the machine (Redis 7 on 127.0.0.1:6379 here and in CI): TEST_REDIS_URL. */
export const REDIS_TEST_URL = testRedisUrl();

/**
 * Whether a Redis suite can run, by the one rule of `@mp-auth/db/testing` (`requireRedisForTests`):
 * on a developer machine without Redis the suite is skipped with a printed line saying so and how to
 * start it; in CI a missing Redis fails the run instead, so CI can never pass by skipping. Every
 * Redis suite calls this once, at module level:
 *
 *   const redisReady = await requireRedis("session cache");
 *   describe.runIf(redisReady)(...)
 */
export async function requireRedis(suite: string, options: { server?: boolean } = {}): Promise<boolean> {
  const problems: string[] = [];
  if (options.server && !redisServerBinary()) {
    problems.push("the redis-server binary is not on PATH (install Redis 7: `apt-get install redis-server`)");
  }
  return requireRedisForTests(`Redis suite "${suite}"`, problems);
}

async function pingRedis(url: string): Promise<boolean> {
  const client = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 1000,
  });
  client.on("error", () => {});
  try {
    await client.connect();
    return (await client.ping()) === "PONG";
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

function redisServerBinary(): boolean {
  return spawnSync("redis-server", ["--version"], { stdio: "ignore" }).status === 0;
}

/** A key prefix no other run (parallel or earlier) uses. */
export const uniqueKeyPrefix = uniqueRedisKeyPrefix;

/** Deletes this run's keys (by prefix, SCAN + UNLINK): never FLUSHALL a shared Redis. */
export async function deleteKeysWithPrefix(url: string, prefix: string): Promise<number> {
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  client.on("error", () => {});
  let deleted = 0;
  try {
    let cursor = "0";
    do {
      const [next, keys] = await client.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 500);
      cursor = next;
      if (keys.length > 0) deleted += await client.unlink(...keys);
    } while (cursor !== "0");
  } finally {
    client.disconnect();
  }
  return deleted;
}

/** A raw client (no prefix) for looking at what the stores wrote. */
export function rawRedis(url: string): Redis {
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  client.on("error", () => {});
  return client;
}

export interface ThrowawayRedis {
  url: string;
  port: number;
  /** Stops the server: SIGKILL simulates a crash, SIGTERM a clean shutdown (which writes the AOF). */
  stop(signal?: "SIGKILL" | "SIGTERM"): Promise<void>;
  /** Starts it again on the same port and data folder. */
  start(): Promise<void>;
  /** Stops it and removes its data folder. */
  dispose(): Promise<void>;
}

/**
 * A private redis-server on a free loopback port, to kill and restart (an outage) without touching
 * the shared one. `persistent` turns on the append-only file, so data survives a restart.
 */
export async function startThrowawayRedis(options: { persistent?: boolean } = {}): Promise<ThrowawayRedis> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), "mp-auth-redis-"));
  let child: ChildProcess | undefined;
  const url = `redis://127.0.0.1:${port}`;

  const start = async () => {
    child = spawn(
      "redis-server",
      [
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--dir",
        dir,
        "--save",
        "",
        "--appendonly",
        options.persistent ? "yes" : "no",
        "--appendfsync",
        "always",
        "--protected-mode",
        "yes",
      ],
      { stdio: "ignore" },
    );
    const deadline = Date.now() + 10_000;
    while (!(await pingRedis(url))) {
      if (Date.now() > deadline) throw new Error(`redis-server did not answer on port ${port}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  const stop = async (signal: "SIGKILL" | "SIGTERM" = "SIGKILL") => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once("exit", resolve));
    running.kill(signal);
    await exited;
  };
  await start();
  return {
    url,
    port,
    stop,
    start,
    dispose: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A logger that remembers what it was told, to prove "once per outage". */
export function recordingLogger() {
  const lines: { level: "info" | "warn" | "error"; message: string; fields: object }[] = [];
  const record = (level: "info" | "warn" | "error") => (fields: object, message: string) =>
    void lines.push({ level, message, fields });
  return { lines, info: record("info"), warn: record("warn"), error: record("error") };
}

export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = "condition") {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
