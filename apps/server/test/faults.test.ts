import { renameSync, truncateSync, unlinkSync } from "node:fs";
import { ERROR_TAXONOMY, HTTP_STATUS_BY_CODE, type ErrorReason } from "@mp-auth/contract";
import { injectFault, mintLoginCode, type MockFault } from "@mp-auth/wechat/mock";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, loginAs, request, startTestServer, type CallResult, type TestServer } from "./harness.ts";
import { holdWriteLock } from "./support/other-process.ts";

/**
 * Faults of the server's dependencies, through the real server: WeChat slow, busy, rate-limiting,
 * behind a failing gateway or cutting the connection (the mock's fault injection), and the SQLite
 * file locked by another process, deleted, or its -shm truncated. Each gives the typed answer of
 * the contract's table, nothing crashes, and the server recovers by itself where it can.
 */

const databaseFile = (server: TestServer) => server.databaseUrl.slice("file:".length);

/** The answer is the contract's row for `reason`: status, code, action, in the envelope. */
function expectReason(result: CallResult, reason: ErrorReason) {
  const row = ERROR_TAXONOMY[reason];
  expect(result.status, result.raw).toBe(HTTP_STATUS_BY_CODE[row.code]);
  expect(result.contentType).toMatch(/^application\/json/);
  expect(result.error?.data).toMatchObject({ reason, code: row.code, action: row.action });
  expect(result.error?.data.stack).toBeUndefined();
}

/** Polls `probe` until it returns true (generous: the point is the order of events, not speed). */
async function eventually(probe: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error("condition not reached in time");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe("WeChat faults", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ WX_TIMEOUT_MS: "1000" });
  });
  afterAll(async () => server?.close());

  const cases: { name: string; fault: Omit<MockFault, "path">; reason: ErrorReason }[] = [
    { name: "slower than WX_TIMEOUT_MS", fault: { hang: true }, reason: "WX_TIMEOUT" },
    { name: "errcode -1 (busy)", fault: { errcode: -1 }, reason: "WX_BUSY" },
    { name: "errcode 45011 (rate limited)", fault: { errcode: 45011 }, reason: "WX_RATE_LIMITED" },
    { name: "an HTML 502 page", fault: { badGateway: true }, reason: "WX_UNAVAILABLE" },
    { name: "the connection reset", fault: { reset: true }, reason: "WX_UNAVAILABLE" },
  ];
  it.each(cases)("$name: $reason, then logins work again by themselves", async ({ fault, reason }) => {
    const { code } = await mintLoginCode(server.mockWechatUrl, {});
    // Queued for every attempt the client makes at this call (it may retry a network failure).
    await injectFault(server.mockWechatUrl, { path: "/sns/jscode2session", ...fault, count: 3 });
    const refused = await call(server.url, "auth.login", { input: { code } });
    expectReason(refused, reason);
    expect(refused.error!.data.retryable).toBe(true);
    await fetch(`${server.mockWechatUrl}/mock/faults`, { method: "DELETE" });
    // The fault is gone: a login goes through, and the server answers as before.
    const { token } = await loginAs(server);
    expect((await call(server.url, "user.me", { type: "query", token })).status).toBe(200);
  });
});

describe("the database locked by another process", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ DATABASE_BUSY_TIMEOUT_MS: "1000" });
  });
  afterAll(async () => server?.close());

  it("a login answers DATABASE_BUSY while reads go on, then succeeds once the lock is released", async () => {
    const { token } = await loginAs(server);
    const lock = await holdWriteLock(databaseFile(server));
    try {
      const { code } = await mintLoginCode(server.mockWechatUrl, {});
      const order: string[] = [];
      const login = call(server.url, "auth.login", { input: { code } }).then((result) => {
        order.push("login");
        return result;
      });
      // While the login waits for the lock, on timers, other requests are served.
      const health = await request(`${server.url}/healthz`);
      order.push("healthz");
      const me = await call(server.url, "user.me", { type: "query", token });
      order.push("me");
      expect(health.status).toBe(200);
      expect(me.status).toBe(200);
      const refused = await login;
      expect(order).toEqual(["healthz", "me", "login"]);
      expectReason(refused, "DATABASE_BUSY");
      expect(refused.error!.data.retryable).toBe(true);
    } finally {
      await lock.release();
    }
    // The client retries (with a new wx.login code, as after any failed login): it goes through.
    const after = await loginAs(server);
    expect(after.token).toMatch(/^mpa_/);
    expect(server.logs.text).toMatch(/database refused a call/);
  });
});

describe("the database file deleted under the running server", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ DATABASE_FILE_CHECK_INTERVAL_MS: "200" });
  });
  afterAll(async () => server?.close());

  it("moved away: DATABASE_UNAVAILABLE, and healthy again by itself once it is back", async () => {
    await loginAs(server);
    const file = databaseFile(server);
    renameSync(file, `${file}.moved`);
    await eventually(async () => (await request(`${server.url}/healthz`)).status === 503);
    expectReason(await request(`${server.url}/healthz`), "DATABASE_UNAVAILABLE");
    const { code } = await mintLoginCode(server.mockWechatUrl, {});
    expectReason(await call(server.url, "auth.login", { input: { code } }), "DATABASE_UNAVAILABLE");
    // The same file (same inode) back at its path: the server recovers without a restart.
    renameSync(`${file}.moved`, file);
    await eventually(async () => (await request(`${server.url}/healthz`)).status === 200);
    await loginAs(server);
  });

  it("deleted: DATABASE_UNAVAILABLE until a restart, nothing crashes, the log says why", async () => {
    const file = databaseFile(server);
    unlinkSync(file);
    await eventually(async () => (await request(`${server.url}/healthz`)).status === 503);
    const health = await request(`${server.url}/healthz`);
    expectReason(health, "DATABASE_UNAVAILABLE");
    const { code } = await mintLoginCode(server.mockWechatUrl, {});
    expectReason(await call(server.url, "auth.login", { input: { code } }), "DATABASE_UNAVAILABLE");
    // The operator learns the cause; the client does not (it names a path).
    expect(server.logs.text).toMatch(/its file was deleted while the server had it open/);
    expect(health.raw).not.toMatch(/deleted|\.db/);
    // Still refused later: a deleted file does not come back.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expectReason(await request(`${server.url}/healthz`), "DATABASE_UNAVAILABLE");
  });
});

describe("the database's -shm truncated by another program (read-only cannot be caused as root)", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ DATABASE_FILE_CHECK_INTERVAL_MS: "200" });
  });
  afterAll(async () => server?.close());

  // The tests run as root, where chmod does not stop writes and access(W_OK) passes, so a read-only
  // file cannot be produced here (the db package detects it through EROFS and SQLITE_READONLY).
  // What can be produced is the fault that would otherwise end the process with SIGBUS.
  it("statements fail with DATABASE_UNAVAILABLE instead of the process dying", async () => {
    const { token } = await loginAs(server);
    truncateSync(`${databaseFile(server)}-shm`, 0);
    const me = await call(server.url, "user.me", { type: "query", token });
    expectReason(me, "DATABASE_UNAVAILABLE");
    expectReason(await request(`${server.url}/healthz`), "DATABASE_UNAVAILABLE");
    expect(server.logs.text).toMatch(/-shm file was truncated/);
  });
});
