import { getMockStats, mintLoginCode } from "@mp-auth/wechat/mock";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { attempt, startApiHarness, type ApiHarness, apiTestEngines } from "./api-harness.ts";

describe.each(await apiTestEngines())("on %s", (engine) => {
  describe("idempotent code exchange", () => {
    let api: ApiHarness;
    beforeAll(async () => {
      api = await startApiHarness({ engine });
    });
    afterAll(async () => api?.close());

    it("returns the same session for a code sent twice in a row", async () => {
      const { code } = await mintLoginCode(api.mock.url, {});
      const first = await attempt(api.caller().auth.login({ code }));
      const second = await attempt(api.caller().auth.login({ code }));
      expect(second.status).toBe(200);
      expect(second.data!.token).toBe(first.data!.token);
      expect(second.data!.user.id).toBe(first.data!.user.id);
    });

    it("turns a double-submitted code into one session and one WeChat call", async () => {
      const before = (await getMockStats(api.mock.url))["/sns/jscode2session"] ?? 0;
      const { code, openid } = await mintLoginCode(api.mock.url, {});
      const results = await Promise.all([1, 2, 3].map(() => attempt(api.caller().auth.login({ code }))));
      expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
      expect(new Set(results.map((r) => r.data!.token)).size).toBe(1);
      expect((await getMockStats(api.mock.url))["/sns/jscode2session"]).toBe(before + 1);
      expect(await api.db.session.count({ where: { user: { openid } } })).toBe(1);
    });

    it("replays the session only to the client that made the first exchange (same IP and user agent)", async () => {
      const phone = { clientIp: "203.0.113.7", userAgent: "Mozilla/5.0 (iPhone) MicroMessenger/8.0.50" };
      const { code } = await mintLoginCode(api.mock.url, {});
      const first = await attempt(api.caller(undefined, phone).auth.login({ code }));
      expect(first.status).toBe(200);
      // Someone else holding the used code (a log, a proxy, a shoulder) gets no token.
      for (const other of [
        { ...phone, clientIp: "198.51.100.9" },
        { ...phone, userAgent: "curl/8.5.0" },
        { clientIp: phone.clientIp },
      ]) {
        const stolen = await attempt(api.caller(undefined, other).auth.login({ code }));
        expect(stolen.status).toBe(400);
        expect(stolen.error!.data).toMatchObject({ reason: "WX_CODE_USED", action: "relogin" });
        expect(JSON.stringify(stolen)).not.toContain(first.data!.token);
      }
      // The phone's own double submit still answers its session.
      const again = await attempt(api.caller(undefined, phone).auth.login({ code }));
      expect(again.data!.token).toBe(first.data!.token);
    });

    it("refuses another client's concurrent duplicate while the first exchange runs", async () => {
      const { code } = await mintLoginCode(api.mock.url, {});
      const [mine, theirs] = await Promise.all([
        attempt(api.caller(undefined, { userAgent: "phone" }).auth.login({ code })),
        attempt(api.caller(undefined, { userAgent: "attacker" }).auth.login({ code })),
      ]);
      expect(mine.status).toBe(200);
      expect(theirs.status).toBe(400);
      expect(theirs.error!.data.reason).toBe("WX_CODE_USED");
    });

    it("refuses the code again once its session was logged out", async () => {
      const { code } = await mintLoginCode(api.mock.url, {});
      const first = await attempt(api.caller().auth.login({ code }));
      await api.caller(first.data!.token).auth.logout();
      const again = await attempt(api.caller().auth.login({ code }));
      expect(again.status).toBe(400);
      expect(again.error!.data).toMatchObject({ reason: "WX_CODE_USED" });
    });
  });

  describe("login rate limits", () => {
    let api: ApiHarness;
    beforeAll(async () => {
      api = await startApiHarness({ engine, loginRateLimitPerIp: 5, loginRateLimitPerOpenid: 2 });
    });
    afterAll(async () => api?.close());

    it("limits one WeChat user's logins and says when to retry", async () => {
      const openid = "o_rate_limited_user_00000000001";
      const loginOnce = async () => {
        const { code } = await mintLoginCode(api.mock.url, { openid });
        return attempt(api.caller().auth.login({ code }));
      };
      expect((await loginOnce()).status).toBe(200);
      expect((await loginOnce()).status).toBe(200);
      const limited = await loginOnce();
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
      const before = (await getMockStats(api.mock.url))["/sns/jscode2session"] ?? 0;
      const results = [];
      for (let i = 0; i < 4; i++) results.push(await attempt(api.caller().auth.login({ code: `junk-code-${i}` })));
      const statuses = results.map((r) => r.status);
      expect(statuses.slice(-2)).toEqual([429, 429]);
      expect(results.at(-1)!.error!.data).toMatchObject({ reason: "LOGIN_RATE_LIMITED" });
      const calls = (await getMockStats(api.mock.url))["/sns/jscode2session"]! - before;
      expect(calls).toBe(statuses.filter((s) => s !== 429).length);
    });
  });
});
