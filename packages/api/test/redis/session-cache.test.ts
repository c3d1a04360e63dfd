import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { mintLoginCode, mintPhoneCode, startMockWechat } from "@mp-auth/wechat/mock";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiDependencies, createCaller, createContextInner, type WiredApi } from "../../src/index.ts";
import { hashSessionToken } from "../../src/services/session-tokens.ts";
import { attempt } from "../api-harness.ts";
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

const redisReady = await requireRedis("session cache", { server: true });

interface Instance {
  deps: WiredApi;
  logger: ReturnType<typeof recordingLogger>;
  /** Moves this instance's clock. */
  clock: { offsetMs: number };
  caller(token?: string): ReturnType<typeof createCaller>;
}

/**
 * Two API instances as the server builds them (createApiDependencies), sharing one SQLite file, one
 * mock WeChat and one Redis prefix, each with its own connection, clock and memory.
 */
async function startInstances(redisUrl: string, keyPrefix: string) {
  const dir = mkdtempSync(path.join(tmpdir(), "mp-auth-redis-api-"));
  const mock = await startMockWechat({});
  const atRestKey = randomBytes(32);
  const start = async (): Promise<Instance> => {
    const logger = recordingLogger();
    const clock = { offsetMs: 0 };
    const deps = await createApiDependencies({
      databaseUrl: `file:${path.join(dir, "api.db")}`,
      wechat: { appid: mock.appid, secret: mock.secret, baseUrl: mock.url, timeoutMs: 1500 },
      atRestKey,
      sessionTtlSeconds: 3600,
      loginRateLimits: { perIpPerMinute: 10_000, perOpenidPerMinute: 10_000 },
      allowHttpAvatarUrls: false,
      avatarDir: path.join(dir, "avatars"),
      publicUrl: "https://api.example.com",
      logger,
      now: () => new Date(Date.now() + clock.offsetMs),
      redis: { url: redisUrl, keyPrefix },
    });
    expect(await deps.redis!.sessionCache.waitUntilUsable(5000)).toBe(true);
    return {
      deps,
      logger,
      clock,
      caller: (token) =>
        createCaller(
          createContextInner(deps, {
            clientIp: "127.0.0.1",
            userAgent: "vitest",
            ...(token ? { authorization: `Bearer ${token}` } : {}),
          }),
        ),
    };
  };
  const a = await start();
  const b = await start();
  return {
    a,
    b,
    mock,
    login: async (instance: Instance, openid?: string) => {
      const minted = await mintLoginCode(mock.url, openid ? { openid } : {});
      return instance.caller().auth.login({ code: minted.code });
    },
    close: async () => {
      await a.deps.close();
      await b.deps.close();
      await mock.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

type Instances = Awaited<ReturnType<typeof startInstances>>;

const refusal = async (call: Promise<unknown>) => (await attempt(call)).error?.data.reason;

describe.runIf(redisReady)("session cache across two instances", () => {
  const keyPrefix = uniqueKeyPrefix("sessions");
  let env: Instances;
  const raw = rawRedis(REDIS_TEST_URL);
  beforeAll(async () => {
    env = await startInstances(REDIS_TEST_URL, keyPrefix);
  });
  afterAll(async () => {
    await env?.close();
    raw.disconnect();
    await deleteKeysWithPrefix(REDIS_TEST_URL, keyPrefix);
  });

  it("answers a known token from Redis, without the database", async () => {
    const { token, user } = await env.login(env.a);
    await env.b.caller(token).user.me();
    expect(await raw.exists(`${keyPrefix}session:${hashSessionToken(token)}`)).toBe(1);
    const ttl = await raw.pttl(`${keyPrefix}session:${hashSessionToken(token)}`);
    expect(ttl).toBeGreaterThan(9 * 60_000);
    expect(ttl).toBeLessThanOrEqual(10 * 60_000);
    // A write behind the API's back (no invalidation) is not seen: proof the answer came from the cache.
    await env.a.deps.db.user.update({ where: { id: user.id }, data: { nickname: "written behind the API" } });
    expect((await env.b.caller(token).user.me()).nickname).toBe(user.nickname);
  });

  it("logout on A: B refuses the token on its very next call", async () => {
    const { token } = await env.login(env.a);
    await env.b.caller(token).user.me();
    await env.b.caller(token).user.me();
    await env.a.caller(token).auth.logout();
    expect(await refusal(env.b.caller(token).user.me())).toBe("REVOKED");
    expect(await refusal(env.a.caller(token).user.me())).toBe("REVOKED");
  });

  it("revoke while 50 concurrent lookups run: no lookup started after the revoke returned accepts the token", async () => {
    const openid = "o_revoke_race_user_000000000001";
    const victim = await env.login(env.a, openid);
    const other = await env.login(env.a, openid);
    await env.b.caller(victim.token).user.me(); // cached on B
    const sessions = await env.a.caller(other.token).auth.sessions();
    const victimSessionId = sessions.find((session) => !session.current)!.id;

    let revoked = false;
    const outcomes: { startedAfterRevoke: boolean; reason: string | undefined }[] = [];
    const worker = async () => {
      let callsAfter = 0;
      while (callsAfter < 3) {
        const startedAfterRevoke = revoked;
        const reason = await refusal(env.b.caller(victim.token).user.me());
        outcomes.push({ startedAfterRevoke, reason });
        if (startedAfterRevoke) callsAfter++;
      }
    };
    const workers = Array.from({ length: 50 }, worker);
    await new Promise((resolve) => setTimeout(resolve, 30));
    await env.a.caller(other.token).auth.revoke({ id: victimSessionId });
    revoked = true;
    await Promise.all(workers);

    const after = outcomes.filter((outcome) => outcome.startedAfterRevoke);
    expect(after).toHaveLength(150);
    expect(after.every((outcome) => outcome.reason === "REVOKED")).toBe(true);
    // The race was real: calls before the revoke were served (most from the cache).
    expect(
      outcomes.filter((outcome) => !outcome.startedAfterRevoke && outcome.reason === undefined).length,
    ).toBeGreaterThan(0);
    // The other device lives on.
    await env.b.caller(other.token).user.me();
  });

  it("logoutAll on B ends every cached session of the user on A", async () => {
    const openid = "o_logout_all_user_000000000001";
    const first = await env.login(env.b, openid);
    const second = await env.login(env.b, openid);
    await env.a.caller(first.token).user.me();
    await env.a.caller(second.token).user.me();
    await env.b.caller(first.token).auth.logoutAll();
    expect(await refusal(env.a.caller(first.token).user.me())).toBe("REVOKED");
    expect(await refusal(env.a.caller(second.token).user.me())).toBe("REVOKED");
  });

  it("a cached entry never outlives the session: expired on B's clock, refused", async () => {
    const { token } = await env.login(env.a);
    await env.b.caller(token).user.me();
    env.b.clock.offsetMs = 3601 * 1000;
    try {
      expect(await refusal(env.b.caller(token).user.me())).toBe("EXPIRED");
    } finally {
      env.b.clock.offsetMs = 0;
    }
  });

  it("profile changes show on the other instance at once, also for a user a phone number moved away from", async () => {
    const first = await env.login(env.a);
    await env.b.caller(first.token).user.me();
    await env.a.caller(first.token).user.updateProfile({ nickname: "新昵称" });
    expect((await env.b.caller(first.token).user.me()).nickname).toBe("新昵称");

    const { code } = await mintPhoneCode(env.mock.url, { phoneNumber: "13800138123" });
    await env.a.caller(first.token).user.bindPhone({ code });
    expect((await env.b.caller(first.token).user.me()).phoneNumber).toBe("13800138123");
    const second = await env.login(env.a);
    const { code: sameNumber } = await mintPhoneCode(env.mock.url, { phoneNumber: "13800138123" });
    await env.a.caller(second.token).user.bindPhone({ code: sameNumber });
    expect((await env.b.caller(first.token).user.me()).phoneNumber).toBeNull();
    expect((await env.b.caller(second.token).user.me()).phoneNumber).toBe("13800138123");
  });

  it("a reader that read the database before an invalidation cannot cache its stale answer", async () => {
    const { token, user } = await env.login(env.a);
    const cache = env.b.deps.redis!.sessionCache;
    const tokenHash = hashSessionToken(token);
    const session = await env.a.deps.db.session.findUniqueOrThrow({ where: { tokenHash } });
    const dbUser = await env.a.deps.db.user.findUniqueOrThrow({ where: { id: user.id } });
    const entry = { sessionId: session.id, expiresAt: session.expiresAt, user: dbUser };
    const facts = { lastUsedAt: new Date(), now: new Date() };

    const slowReader = await cache.lookup(tokenHash); // the reader's lookup, then its database read...
    expect(slowReader.entry).toBeUndefined();
    await env.a.deps.sessionCache.invalidateUser(user.id); // ...meanwhile the session is revoked on A...
    await slowReader.remember(entry, facts); // ...and the reader tries to cache what it read.
    expect((await cache.lookup(tokenHash)).entry).toBeUndefined();

    // Control: without the invalidation in between, the same write is cached.
    const reader = await cache.lookup(tokenHash);
    await reader.remember(entry, facts);
    expect((await cache.lookup(tokenHash)).entry?.sessionId).toBe(session.id);
  });

  it("shares the code exchange: a code submitted twice gets one session whichever instance answers", async () => {
    const { code } = await mintLoginCode(env.mock.url, {});
    const first = await env.a.caller().auth.login({ code });
    const second = await env.b.caller().auth.login({ code });
    expect(second.token).toBe(first.token);
  });
});

describe.runIf(redisReady)("session cache through a Redis outage (Redis with persistence)", () => {
  let server: ThrowawayRedis;
  let env: Instances;
  beforeAll(async () => {
    server = await startThrowawayRedis({ persistent: true });
    env = await startInstances(server.url, uniqueKeyPrefix("outage"));
  });
  afterAll(async () => {
    await env?.close();
    await server?.dispose();
  });

  it("falls back to the database, and never trusts entries from before the outage", async () => {
    const { token } = await env.login(env.a);
    const survivor = await env.login(env.a);
    await env.b.caller(token).user.me();
    await env.b.caller(survivor.token).user.me();
    const entryKey = `${env.b.deps.redis!.connection.keyPrefix}session:${hashSessionToken(token)}`;

    await server.stop("SIGTERM"); // a clean shutdown: the AOF keeps the cached entries
    await expect.poll(() => env.a.deps.redis!.status()).toBe("down");
    await expect.poll(() => env.b.deps.redis!.status()).toBe("down");

    // Logout while Redis is down: the database is the truth, the invalidation cannot be written.
    await env.a.caller(token).auth.logout();
    expect(await refusal(env.b.caller(token).user.me())).toBe("REVOKED");
    await env.b.caller(survivor.token).user.me();

    await server.start();
    const raw = rawRedis(server.url);
    try {
      // The stale "valid" entry came back from disk...
      expect(await raw.exists(entryKey)).toBe(1);
      // ...and is never trusted: each instance bumps the epoch before it reads the cache again.
      let refusedEveryTime = true;
      const until = Date.now() + 8000;
      while (!(env.a.deps.redis!.sessionCache.isUsable() && env.b.deps.redis!.sessionCache.isUsable())) {
        if (Date.now() > until) throw new Error("the session caches did not come back");
        if ((await refusal(env.b.caller(token).user.me())) !== "REVOKED") refusedEveryTime = false;
        // SQLite answers synchronously: without a pause this loop would never let the sockets reconnect.
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      expect(refusedEveryTime).toBe(true);
      expect(await refusal(env.b.caller(token).user.me())).toBe("REVOKED");
      expect(await refusal(env.a.caller(token).user.me())).toBe("REVOKED");
    } finally {
      raw.disconnect();
    }
    await env.b.caller(survivor.token).user.me();
    expect(env.b.deps.redis!.status()).toBe("up");
    // One warn per instance for the whole outage.
    for (const instance of [env.a, env.b]) {
      expect(instance.logger.lines.filter((line) => line.level === "warn")).toHaveLength(1);
    }
  });
});
