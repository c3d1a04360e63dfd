import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  availableTestEngines,
  createTestDatabase,
  deleteRedisKeysWithPrefix,
  requireRedisForTests,
  testRedisUrl,
  uniqueRedisKeyPrefix,
  type TestDatabase,
} from "@mp-auth/db/testing";
import { getMockStats, mintLoginCode, mintPhoneCode, startMockWechat, type MockWechat } from "@mp-auth/wechat/mock";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { distEntry, ensureServerBuilt } from "../scripts/build.mjs";
import { call, type LoginResult } from "./harness.ts";

/**
 * Several instances, for real: two production server processes (`node dist/main.mjs`, as `pnpm serve`
 * runs it) on ONE database and ONE Redis, behind no load balancer: the test picks the instance of
 * each call. One mock WeChat, in this process, serves both (as api.weixin.qq.com would), so its call
 * counts are the deployment's. On the server engines only: SQLite is one file for one host.
 */
const serverEngines = await availableTestEngines(["postgresql", "mysql"]);
const redisReady = await requireRedisForTests("multi-instance suite");

/** Logins per openid per minute in these instances: small, to reach it. */
const OPENID_LOGIN_LIMIT = 4;

interface Instance {
  name: string;
  url: string;
  child: ChildProcess;
  output: () => string;
  stop(): Promise<void>;
}

async function startInstance(name: string, env: NodeJS.ProcessEnv): Promise<Instance> {
  const child = spawn(process.execPath, [distEntry], { env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`instance ${name} did not start:\n${output}`)), 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString("utf8");
      for (const line of output.split("\n")) {
        if (!line.includes('"server listening"')) continue;
        clearTimeout(timer);
        resolve((JSON.parse(line) as { url: string }).url);
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`instance ${name} exited with ${code} while starting:\n${output}`));
    });
  });
  return {
    name,
    url,
    child,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}

/**
 * Logs in on `instance`, as the link does: an answer of DATABASE_BUSY (503, retryable) is tried again
 * with a new wx.login code. Anything else that is not a session fails the test.
 */
async function loginOn(
  instance: Instance,
  mock: MockWechat,
  openid?: string,
): Promise<LoginResult & { openid: string }> {
  for (let attempt = 1; ; attempt++) {
    const minted = await mintLoginCode(mock.url, openid ? { openid } : {});
    const result = await call<LoginResult>(instance.url, "auth.login", { input: { code: minted.code } });
    if (result.data) return { ...result.data, openid: minted.openid };
    if (attempt < 10 && result.status === 503 && result.error?.data.reason === "DATABASE_BUSY") {
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
      continue;
    }
    throw new Error(`login on ${instance.name} failed: ${result.raw}`);
  }
}

function me(instance: Instance, token: string) {
  return call<{ id: string }>(instance.url, "user.me", { type: "query", token });
}

beforeAll(async () => {
  if (serverEngines.length > 0 && redisReady) await ensureServerBuilt();
}, 120_000);

describe.runIf(redisReady).each(serverEngines)("two server instances on one %s database and one Redis", (engine) => {
  let database: TestDatabase;
  let mock: MockWechat;
  let a: Instance;
  let b: Instance;
  const keyPrefix = uniqueRedisKeyPrefix(`multi-${engine}`);
  const uploadDir = mkdtempSync(path.join(tmpdir(), "mp-auth-multi-uploads-"));

  beforeAll(async () => {
    database = await createTestDatabase(engine);
    mock = await startMockWechat({});
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      NODE_ENV: "production",
      HOST: "127.0.0.1",
      PORT: "0",
      LOG_LEVEL: "info",
      DATABASE_URL: database.url,
      REDIS_URL: testRedisUrl(),
      REDIS_KEY_PREFIX: keyPrefix,
      WX_APPID: mock.appid,
      WX_SECRET: mock.secret,
      WX_API_BASE: mock.url,
      PUBLIC_URL: "https://api.example.com",
      SESSION_KEY_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
      UPLOAD_DIR: uploadDir,
      LOGIN_RATE_LIMIT_PER_IP: "100000",
      LOGIN_RATE_LIMIT_PER_OPENID: String(OPENID_LOGIN_LIMIT),
    };
    // A first, alone: it applies the migrations; B then starts on a migrated database, as a rolling
    // deploy would (starting both at once is the db package's "three at once" migration test).
    a = await startInstance("A", env);
    b = await startInstance("B", env);
  }, 90_000);

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await mock?.close();
    await database?.drop();
    await deleteRedisKeysWithPrefix(keyPrefix);
    rmSync(uploadDir, { recursive: true, force: true });
  });

  it("starts both instances with Redis up", async () => {
    for (const instance of [a, b]) {
      const health = (await (await fetch(`${instance.url}/healthz`)).json()) as { redis?: string };
      expect(health.redis, instance.name).toBe("up");
    }
  });

  // First in the file: the access token cache (in Redis, under this run's prefix) is still cold.
  it("100 concurrent bindPhone calls over both instances on a cold token cache fetch one access token", async () => {
    const statsBefore = await getMockStats(mock.url);
    expect(statsBefore["/cgi-bin/stable_token"] ?? 0).toBe(0);
    const lanes = await Promise.all(
      Array.from({ length: 100 }, async (_, index) => {
        const instance = index % 2 === 0 ? a : b;
        const user = await loginOn(instance, mock);
        const phoneNumber = `1390000${String(index).padStart(4, "0")}`;
        const { code } = await mintPhoneCode(mock.url, { openid: user.openid, phoneNumber });
        return { instance, token: user.token, code, phoneNumber, openid: user.openid };
      }),
    );
    // All logins done first: the 100 bindPhone calls start together, 50 on each instance. A call
    // answered DATABASE_BUSY (retryable; nothing was written) is tapped again with a new phone code,
    // as the user would: MariaDB answers some under this burst (InnoDB gap locks on the phone index).
    let busyRetries = 0;
    const results = await Promise.all(
      lanes.map(async ({ instance, token, code, phoneNumber, openid }) => {
        for (let attempt = 1; ; attempt++) {
          const result = await call<{ phoneNumber: string }>(instance.url, "user.bindPhone", {
            token,
            input: { code },
          });
          if (attempt >= 10 || result.status !== 503 || result.error?.data.reason !== "DATABASE_BUSY") return result;
          busyRetries++;
          await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
          ({ code } = await mintPhoneCode(mock.url, { openid, phoneNumber }));
        }
      }),
    );
    results.forEach((result, index) => {
      expect(result.status, result.raw).toBe(200);
      expect(JSON.stringify(result.data)).toContain(lanes[index]!.phoneNumber);
    });
    const stats = await getMockStats(mock.url);
    expect(stats["/cgi-bin/stable_token"]).toBe(1);
    expect(stats["/wxa/business/getuserphonenumber"]).toBe(100 + busyRetries);
    if (busyRetries > 0)
      console.info(`[${engine}] ${busyRetries} bindPhone calls answered DATABASE_BUSY and were retried`);
  });

  it("a session made on A is served by B", async () => {
    const user = await loginOn(a, mock);
    const onB = await me(b, user.token);
    expect(onB.status, onB.raw).toBe(200);
    expect(onB.data?.id).toBe(user.user.id);
  });

  it("logout on B: A refuses the token on the very next call, though A had it cached", async () => {
    const user = await loginOn(a, mock);
    // Twice on A: the second is served from A's session cache, which the logout must reach.
    expect((await me(a, user.token)).status).toBe(200);
    expect((await me(a, user.token)).status).toBe(200);
    const logout = await call(b.url, "auth.logout", { token: user.token });
    expect(logout.status, logout.raw).toBe(200);
    const afterOnA = await me(a, user.token);
    expect(afterOnA.status, afterOnA.raw).toBe(401);
    expect(afterOnA.error?.data.reason).toBe("REVOKED");
    expect((await me(b, user.token)).error?.data.reason).toBe("REVOKED");
  });

  it("logoutAll on A ends the sessions B was serving", async () => {
    const first = await loginOn(a, mock);
    const second = await loginOn(b, mock, first.openid);
    const third = await loginOn(b, mock, first.openid);
    for (const token of [second.token, third.token]) expect((await me(b, token)).status).toBe(200);
    const sessions = await call<unknown[]>(b.url, "auth.sessions", { type: "query", token: second.token });
    expect(sessions.data).toHaveLength(3);

    const logoutAll = await call(a.url, "auth.logoutAll", { token: first.token });
    expect(logoutAll.status, logoutAll.raw).toBe(200);
    for (const token of [first.token, second.token, third.token]) {
      for (const instance of [b, a]) {
        const after = await me(instance, token);
        expect(after.status, `${instance.name}: ${after.raw}`).toBe(401);
        expect(after.error?.data.reason).toBe("REVOKED");
      }
    }
  });

  it("the per-openid login limit counts logins on both instances together", async () => {
    const openid = `o-limit-${randomBytes(6).toString("hex")}`;
    for (let index = 0; index < OPENID_LOGIN_LIMIT; index++) await loginOn(index % 2 === 0 ? a : b, mock, openid);
    // Each instance alone has seen only half the limit: only a shared count refuses these.
    for (const instance of [a, b]) {
      const { code } = await mintLoginCode(mock.url, { openid });
      const refused = await call(instance.url, "auth.login", { input: { code } });
      expect(refused.status, `${instance.name}: ${refused.raw}`).toBe(429);
      expect(refused.error?.data.reason).toBe("LOGIN_RATE_LIMITED");
    }
  });

  it("a code sent to A and then again to B answers A's session", async () => {
    const { code } = await mintLoginCode(mock.url, {});
    const onA = await call<LoginResult>(a.url, "auth.login", { input: { code } });
    const onB = await call<LoginResult>(b.url, "auth.login", { input: { code } });
    expect(onA.status, onA.raw).toBe(200);
    expect(onB.status, onB.raw).toBe(200);
    expect(onB.data?.token).toBe(onA.data?.token);
  });

  it("a code sent to A and B at the same moment makes one session", async () => {
    const { code, openid } = await mintLoginCode(mock.url, {});
    const answers = await Promise.all(
      [a, b].map((instance) => call<LoginResult>(instance.url, "auth.login", { input: { code } })),
    );
    const tokens = new Set(answers.flatMap((answer) => (answer.data ? [answer.data.token] : [])));
    // Both answer the one session, or the later one finds the code used at WeChat: never two sessions.
    expect(tokens.size, JSON.stringify(answers.map((answer) => answer.raw))).toBe(1);
    for (const answer of answers) {
      if (answer.status !== 200) expect(answer.error?.data.reason, answer.raw).toBe("WX_CODE_USED");
    }
    const [token] = [...tokens];
    const sessions = await call<unknown[]>(a.url, "auth.sessions", { type: "query", token: token! });
    expect(sessions.data, `${openid}: ${sessions.raw}`).toHaveLength(1);
  });

  it("answered no 500 and logged no secret", () => {
    for (const instance of [a, b]) {
      const output = instance.output();
      expect(output).not.toContain(mock.secret);
      // A 500 logs its error with a stack: a burst of logins once did, on MariaDB (P2028, now DATABASE_BUSY).
      expect(output).not.toMatch(/"status":500/);
    }
  });
});
