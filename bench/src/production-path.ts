import { createHash, randomBytes } from "node:crypto";
import { migrateDatabase } from "@mp-auth/db";
import {
  checkTestService,
  createTestDatabase,
  deleteRedisKeysWithPrefix,
  testRedisUrl,
  type TestDatabase,
} from "@mp-auth/db/testing";
import { mintLoginCode } from "@mp-auth/wechat/mock";
import { Redis } from "ioredis";
import { callMutation } from "./fixture.ts";
import type { RedisSessionEntry } from "./peers/express-redis.ts";
import { startPeer, startRealServer, type RunningProcess, type Workspace } from "./servers.ts";
import {
  assertIdenticalAnswers,
  measureThroughput,
  USER_ME_PATH,
  type LoadSettings,
  type RoundResult,
  type ServerThroughput,
} from "./throughput.ts";

export type ProductionPathFigures =
  { measured: true; throughput: ServerThroughput[]; answerBytes: number } | { measured: false; skipped: string };

/** Whether Redis answers PING within a second; the problem otherwise. */
async function redisProblem(url: string): Promise<string | undefined> {
  const redis = new Redis(url, { lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 0 });
  try {
    await redis.connect();
    return (await redis.ping()) === "PONG" ? undefined : "Redis does not answer PING";
  } catch (error) {
    return `no Redis answers at ${new URL(url).host} (${(error as NodeJS.ErrnoException).code ?? "error"})`;
  } finally {
    redis.disconnect();
  }
}

/**
 * The production path: the real server on PostgreSQL with Redis (its shared session cache)
 * against the seeds' production stack, Express 5 finding the session in Redis (one GET), both
 * answering user.me with the same bytes. Uses the machine's PostgreSQL and Redis as the tests do
 * (TEST_POSTGRESQL_URL / TEST_REDIS_URL, a fresh database, keys under a prefix of this run, all
 * removed afterwards); skipped, with the reason, when either is absent.
 */
export async function measureProductionPath(
  workspace: Workspace,
  load: LoadSettings,
  onRound: (name: string, round: number, result: RoundResult) => void,
): Promise<ProductionPathFigures> {
  const postgres = await checkTestService("postgresql");
  const redisUrl = testRedisUrl();
  const problem = postgres.available ? await redisProblem(redisUrl) : postgres.problem;
  if (problem) return { measured: false, skipped: problem };

  const run = randomBytes(6).toString("hex");
  const serverPrefix = `mp-auth-bench:${run}:server:`;
  const peerPrefix = `mp-auth-bench:${run}:peer:`;
  let database: TestDatabase | undefined;
  const running: RunningProcess[] = [];
  try {
    database = await createTestDatabase("postgresql");
    await migrateDatabase(database.url);
    running.push(
      await startRealServer(workspace, "server-production", {
        DATABASE_URL: database.url,
        REDIS_URL: redisUrl,
        REDIS_KEY_PREFIX: serverPrefix,
      }),
    );
    const [server] = running as [RunningProcess];
    const { code } = await mintLoginCode(workspace.wechatUrl, { openid: "bench-production-user" });
    const { token, expiresAt } = await callMutation<{ token: string; expiresAt: string }>(server.url, "auth.login", {
      code,
    });
    await callMutation(server.url, "user.updateProfile", { nickname: "Bench 用户 🚀" }, token);

    // What the seeds' login writes to Redis: the session's expiry and the user's public profile.
    const answer = await fetch(`${server.url}${USER_ME_PATH}`, { headers: { authorization: `Bearer ${token}` } });
    const entry: RedisSessionEntry = {
      expiresAt,
      user: ((await answer.json()) as { result: { data: RedisSessionEntry["user"] } }).result.data,
    };
    const redis = new Redis(redisUrl);
    try {
      const key = `${peerPrefix}${createHash("sha256").update(token, "utf8").digest("hex")}`;
      await redis.set(key, JSON.stringify(entry), "PX", Math.max(1, new Date(expiresAt).getTime() - Date.now()));
    } finally {
      redis.disconnect();
    }
    running.push(
      await startPeer("express-redis", workspace, { BENCH_REDIS_URL: redisUrl, BENCH_REDIS_PREFIX: peerPrefix }),
    );

    const body = await assertIdenticalAnswers(running, token);
    const throughput = await measureThroughput(running, token, load, onRound);
    return { measured: true, throughput, answerBytes: Buffer.byteLength(body) };
  } finally {
    await Promise.all(running.map((process) => process.spawned.stop()));
    await deleteRedisKeysWithPrefix(`mp-auth-bench:${run}:`, redisUrl).catch(() => 0);
    await database?.drop().catch(() => {});
  }
}
