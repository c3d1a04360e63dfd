import { createDatabase } from "@mp-auth/db";
import { getMockStats, mintLoginCode } from "@mp-auth/wechat/mock";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, startTestServer, type LoginResult, type TestServer } from "./harness.ts";

describe("idempotent code exchange", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => server?.close());

  it("returns the same session for a code sent twice in a row", async () => {
    const { code } = await mintLoginCode(server.mockWechatUrl, {});
    const first = await call<LoginResult>(server.url, "auth.login", { input: { code } });
    const second = await call<LoginResult>(server.url, "auth.login", { input: { code } });
    expect(second.status).toBe(200);
    expect(second.data!.token).toBe(first.data!.token);
    expect(second.data!.user.id).toBe(first.data!.user.id);
  });

  it("turns a double-submitted code into one session and one WeChat call", async () => {
    const before = (await getMockStats(server.mockWechatUrl))["/sns/jscode2session"] ?? 0;
    const { code, openid } = await mintLoginCode(server.mockWechatUrl, {});
    const results = await Promise.all(
      [1, 2, 3].map(() => call<LoginResult>(server.url, "auth.login", { input: { code } })),
    );
    expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(new Set(results.map((r) => r.data!.token)).size).toBe(1);
    expect((await getMockStats(server.mockWechatUrl))["/sns/jscode2session"]).toBe(before + 1);
    const db = await createDatabase(server.databaseUrl);
    try {
      expect(await db.session.count({ where: { user: { openid } } })).toBe(1);
    } finally {
      await db.$disconnect();
    }
  });

  it("refuses the code again once its session was logged out", async () => {
    const { code } = await mintLoginCode(server.mockWechatUrl, {});
    const first = await call<LoginResult>(server.url, "auth.login", { input: { code } });
    await call(server.url, "auth.logout", { token: first.data!.token });
    const again = await call(server.url, "auth.login", { input: { code } });
    expect(again.status).toBe(400);
    expect(again.error!.data).toMatchObject({ reason: "WX_CODE_USED" });
  });
});

describe("login rate limits", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ LOGIN_RATE_LIMIT_PER_IP: "5", LOGIN_RATE_LIMIT_PER_OPENID: "2" });
  });
  afterAll(async () => server?.close());

  it("limits one WeChat user's logins and says when to retry", async () => {
    const openid = "o_rate_limited_user_00000000001";
    const attempt = async () => {
      const { code } = await mintLoginCode(server.mockWechatUrl, { openid });
      return call<LoginResult>(server.url, "auth.login", { input: { code } });
    };
    expect((await attempt()).status).toBe(200);
    expect((await attempt()).status).toBe(200);
    const limited = await attempt();
    expect(limited.status).toBe(429);
    expect(limited.error!.data).toMatchObject({
      code: "TOO_MANY_REQUESTS",
      reason: "LOGIN_RATE_LIMITED",
      retryable: true,
    });
    expect(limited.error!.data.retryAfterSeconds).toBeGreaterThan(0);
    expect(limited.error!.data.retryAfterSeconds).toBeLessThanOrEqual(60);
  });

  it("limits one address before WeChat is even called", async () => {
    // 3 points of this IP's 5 were spent above; junk codes spend the rest.
    const before = (await getMockStats(server.mockWechatUrl))["/sns/jscode2session"] ?? 0;
    const results = [];
    for (let i = 0; i < 4; i++)
      results.push(await call(server.url, "auth.login", { input: { code: `junk-code-${i}` } }));
    const statuses = results.map((r) => r.status);
    expect(statuses.slice(-2)).toEqual([429, 429]);
    expect(results.at(-1)!.error!.data).toMatchObject({ reason: "LOGIN_RATE_LIMITED" });
    const calls = (await getMockStats(server.mockWechatUrl))["/sns/jscode2session"]! - before;
    expect(calls).toBe(statuses.filter((s) => s !== 429).length);
  });
});
