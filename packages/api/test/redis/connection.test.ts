import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRedisConnection, type RedisConnection } from "../../src/stores/redis/index.ts";
import {
  REDIS_TEST_URL,
  deleteKeysWithPrefix,
  rawRedis,
  recordingLogger,
  requireRedis,
  startThrowawayRedis,
  uniqueKeyPrefix,
  waitFor,
  type ThrowawayRedis,
} from "./redis-support.ts";

const redisReady = await requireRedis("Redis connection", { server: true });

describe.runIf(redisReady)("Redis connection", () => {
  it("namespaces every key with the prefix", async () => {
    const prefix = uniqueKeyPrefix("connection");
    const connection = createRedisConnection({ url: REDIS_TEST_URL, keyPrefix: prefix, logger: recordingLogger() });
    connection.connect();
    const raw = rawRedis(REDIS_TEST_URL);
    try {
      expect(await connection.waitUntilUp(5000)).toBe(true);
      expect(connection.status()).toBe("up");
      await connection.client.set("probe", "1", "PX", 10_000);
      expect(await raw.get(`${prefix}probe`)).toBe("1");
      expect(await raw.exists("probe")).toBe(0);
    } finally {
      await connection.close();
      raw.disconnect();
      await deleteKeysWithPrefix(REDIS_TEST_URL, prefix);
    }
  });

  it("refuses a URL that is not redis:// without echoing it", () => {
    const logger = recordingLogger();
    expect(() => createRedisConnection({ url: "http://user:hunter2@host", keyPrefix: "x", logger })).toThrow(
      /redis:\/\/ or rediss:\/\//,
    );
    expect(() => createRedisConnection({ url: "http://user:hunter2@host", keyPrefix: "x", logger })).not.toThrow(
      /hunter2/,
    );
    expect(() => createRedisConnection({ url: REDIS_TEST_URL, keyPrefix: " ", logger })).toThrow(/keyPrefix/);
  });

  describe("an outage", () => {
    let server: ThrowawayRedis;
    let connection: RedisConnection;
    const logger = recordingLogger();
    beforeAll(async () => {
      server = await startThrowawayRedis();
      connection = createRedisConnection({ url: server.url, keyPrefix: uniqueKeyPrefix("outage"), logger });
      connection.connect();
      expect(await connection.waitUntilUp(5000)).toBe(true);
    });
    afterAll(async () => {
      await connection?.close();
      await server?.dispose();
    });

    it("turns down, fails commands fast, logs once, and comes back with one info line", async () => {
      const changes: string[] = [];
      connection.onStatusChange((status) => changes.push(status));
      await server.stop("SIGKILL");
      await waitFor(() => connection.status() === "down", 5000, "status down");

      // While down: commands fail at once (no offline queue), not after a timeout or minutes later.
      for (let i = 0; i < 5; i++) {
        const started = performance.now();
        await expect(connection.client.get("anything")).rejects.toThrow();
        expect(performance.now() - started).toBeLessThan(100);
      }
      // Several reconnect attempts fail meanwhile; still a single warn.
      await new Promise((resolve) => setTimeout(resolve, 1200));
      expect(logger.lines.filter((line) => line.level === "warn")).toHaveLength(1);
      expect(JSON.stringify(logger.lines)).not.toContain("redis://");

      await server.start();
      expect(await connection.waitUntilUp(10_000)).toBe(true);
      expect(await connection.client.ping()).toBe("PONG");
      expect(changes).toEqual(["down", "up"]);
      const after = logger.lines.slice(-1)[0]!;
      expect(after).toMatchObject({ level: "info", message: "Redis is reachable again" });
      expect(logger.lines.filter((line) => line.level === "warn")).toHaveLength(1);
    });

    it("reports down from the start when Redis is not there, then up when it answers", async () => {
      const late = await startThrowawayRedis();
      await late.stop();
      const lateLogger = recordingLogger();
      const lateConnection = createRedisConnection({
        url: late.url,
        keyPrefix: uniqueKeyPrefix("late"),
        logger: lateLogger,
      });
      try {
        lateConnection.connect();
        await waitFor(() => lateLogger.lines.length > 0, 5000, "the unreachable warning");
        expect(lateConnection.status()).toBe("down");
        await late.start();
        expect(await lateConnection.waitUntilUp(10_000)).toBe(true);
        expect(lateLogger.lines.map((line) => line.level)).toEqual(["warn", "info"]);
      } finally {
        await lateConnection.close();
        await late.dispose();
      }
    });
  });
});
