import { createAccessTokenManager, requestStableAccessToken } from "@mp-auth/wechat";
import { getMockStats, startMockWechat, type MockWechat } from "@mp-auth/wechat/mock";
import { RateLimiterRes } from "rate-limiter-flexible";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createRedisAccessTokenStore,
  createRedisCodeExchangeCache,
  createRedisConnection,
  createRedisLoginRateLimiters,
  type RedisConnection,
} from "../../src/stores/redis/index.ts";
import {
  REDIS_TEST_URL,
  deleteKeysWithPrefix,
  rawRedis,
  recordingLogger,
  requireRedis,
  startThrowawayRedis,
  uniqueKeyPrefix,
  type ThrowawayRedis,
} from "./redis-support.ts";

const redisReady = await requireRedis("shared stores (rate limits, code exchanges, access tokens)", { server: true });

/** Two connections with one prefix: two server instances of one deployment. */
async function twoInstances(url: string, prefix: string): Promise<[RedisConnection, RedisConnection]> {
  const connections = [1, 2].map(() => createRedisConnection({ url, keyPrefix: prefix, logger: recordingLogger() }));
  for (const connection of connections) connection.connect();
  for (const connection of connections) expect(await connection.waitUntilUp(5000)).toBe(true);
  return connections as [RedisConnection, RedisConnection];
}

const isRejection = (value: unknown) => value instanceof RateLimiterRes;

describe.runIf(redisReady)("shared stores on Redis", () => {
  const prefix = uniqueKeyPrefix("stores");
  let a: RedisConnection;
  let b: RedisConnection;
  beforeAll(async () => {
    [a, b] = await twoInstances(REDIS_TEST_URL, prefix);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await deleteKeysWithPrefix(REDIS_TEST_URL, prefix);
  });

  it("counts login limits across instances", async () => {
    const limitsA = createRedisLoginRateLimiters(a, { perIpPerMinute: 3, perOpenidPerMinute: 100 });
    const limitsB = createRedisLoginRateLimiters(b, { perIpPerMinute: 3, perOpenidPerMinute: 100 });
    await limitsA.perIp.consume("203.0.113.7");
    await limitsB.perIp.consume("203.0.113.7");
    await limitsA.perIp.consume("203.0.113.7");
    const fourth = await limitsB.perIp.consume("203.0.113.7").catch((rejection: unknown) => rejection);
    expect(isRejection(fourth)).toBe(true);
    expect((fourth as RateLimiterRes).msBeforeNext).toBeGreaterThan(0);
    // Another address is counted apart.
    await limitsB.perIp.consume("203.0.113.8");
  });

  it("shares code exchanges across instances, stored as given, with their TTL", async () => {
    const cacheA = createRedisCodeExchangeCache(a);
    const cacheB = createRedisCodeExchangeCache(b);
    await cacheA.set("code-hash-1", "ciphertext-from-the-secret-box", 60_000);
    expect(await cacheB.get("code-hash-1")).toBe("ciphertext-from-the-secret-box");
    const raw = rawRedis(REDIS_TEST_URL);
    try {
      expect(await raw.get(`${prefix}code-exchange:code-hash-1`)).toBe("ciphertext-from-the-secret-box");
      const ttl = await raw.pttl(`${prefix}code-exchange:code-hash-1`);
      expect(ttl).toBeGreaterThan(50_000);
      expect(ttl).toBeLessThanOrEqual(60_000);
    } finally {
      raw.disconnect();
    }
    await cacheA.set("code-hash-2", "short", 50);
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(await cacheB.get("code-hash-2")).toBeUndefined();
    expect(await cacheB.get("never-set")).toBeUndefined();
  });

  describe("the WeChat access token", () => {
    let mock: MockWechat;
    beforeAll(async () => {
      mock = await startMockWechat({});
    });
    afterAll(async () => mock?.close());

    const managerOn = (connection: RedisConnection) =>
      createAccessTokenManager({
        appid: mock.appid,
        secret: mock.secret,
        baseUrl: mock.url,
        store: createRedisAccessTokenStore(connection, { appid: mock.appid }),
      });

    it("makes ONE stable_token call for 3 instances x 50 concurrent callers on a cold cache", async () => {
      const extra = createRedisConnection({ url: REDIS_TEST_URL, keyPrefix: prefix, logger: recordingLogger() });
      extra.connect();
      expect(await extra.waitUntilUp(5000)).toBe(true);
      try {
        const before = (await getMockStats(mock.url))["/cgi-bin/stable_token"] ?? 0;
        const managers = [a, b, extra].map(managerOn);
        const tokens = await Promise.all(
          managers.flatMap((manager) => Array.from({ length: 50 }, () => manager.getToken())),
        );
        expect(tokens).toHaveLength(150);
        expect(new Set(tokens).size).toBe(1);
        expect((await getMockStats(mock.url))["/cgi-bin/stable_token"]).toBe(before + 1);
        // The lock is released.
        expect(await a.client.exists(`wechat-access-token-lock:${mock.appid}`)).toBe(0);
      } finally {
        await extra.close();
      }
    });

    it("compare-and-expire holds across instances: an old token cannot evict a newer one", async () => {
      const storeA = createRedisAccessTokenStore(a, { appid: `${mock.appid}-cas` });
      const storeB = createRedisAccessTokenStore(b, { appid: `${mock.appid}-cas` });
      await storeA.set({ accessToken: "token-old", expiresAt: Date.now() + 60_000 });
      await storeB.set({ accessToken: "token-new", expiresAt: Date.now() + 60_000 });
      // A slow caller on A, holding the old token, reports it bad: nothing happens.
      expect(await storeA.compareAndDelete("token-old")).toBe(false);
      expect((await storeA.get())?.accessToken).toBe("token-new");
      expect(await storeA.compareAndDelete("token-new")).toBe(true);
      expect(await storeB.get()).toBeUndefined();
    });

    it("a token expired by one instance is refreshed once for all", async () => {
      const managers = [managerOn(a), managerOn(b)];
      const token = await managers[0]!.getToken();
      expect(await managers[1]!.expireToken(token)).toBe(true);
      expect(await managers[0]!.expireToken(token)).toBe(false);
      const before = (await getMockStats(mock.url))["/cgi-bin/stable_token"] ?? 0;
      await Promise.all(managers.flatMap((manager) => Array.from({ length: 20 }, () => manager.getToken())));
      expect((await getMockStats(mock.url))["/cgi-bin/stable_token"]).toBe(before + 1);
    });
  });
});

describe.runIf(redisReady)("shared stores while Redis is down", () => {
  let server: ThrowawayRedis;
  let connection: RedisConnection;
  let mock: MockWechat;
  beforeAll(async () => {
    server = await startThrowawayRedis();
    connection = createRedisConnection({
      url: server.url,
      keyPrefix: uniqueKeyPrefix("down"),
      logger: recordingLogger(),
    });
    connection.connect();
    expect(await connection.waitUntilUp(5000)).toBe(true);
    mock = await startMockWechat({});
    await server.stop("SIGKILL");
  });
  afterAll(async () => {
    await connection?.close();
    await server?.dispose();
    await mock?.close();
  });

  it("limits logins in this instance's memory instead of failing or letting everything through", async () => {
    const limits = createRedisLoginRateLimiters(connection, { perIpPerMinute: 2, perOpenidPerMinute: 2 });
    await limits.perIp.consume("198.51.100.1");
    await limits.perIp.consume("198.51.100.1");
    const third = await limits.perIp.consume("198.51.100.1").catch((rejection: unknown) => rejection);
    expect(isRejection(third)).toBe(true);
  });

  it("keeps code exchanges in memory", async () => {
    const cache = createRedisCodeExchangeCache(connection);
    await cache.set("k", "v", 60_000);
    expect(await cache.get("k")).toBe("v");
  });

  it("still serves access tokens (one per instance, stable_token hands out the same one)", async () => {
    const store = createRedisAccessTokenStore(connection, { appid: mock.appid });
    const manager = createAccessTokenManager({ appid: mock.appid, secret: mock.secret, baseUrl: mock.url, store });
    const tokens = await Promise.all(Array.from({ length: 20 }, () => manager.getToken()));
    expect(new Set(tokens).size).toBe(1);
    const direct = await requestStableAccessToken({
      baseUrl: mock.url,
      appid: mock.appid,
      secret: mock.secret,
      timeoutMs: 2000,
    });
    expect(tokens[0]).toBe(direct.accessToken);
    expect((await getMockStats(mock.url))["/cgi-bin/stable_token"]).toBe(2);
  });
});
