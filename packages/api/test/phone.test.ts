import { encryptForUser, getMockStats, injectFault, mintLoginCode, mintPhoneCode } from "@mp-auth/wechat/mock";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { attempt, loginAs, startApiHarness, type ApiHarness, apiTestEngines } from "./api-harness.ts";

describe.each(await apiTestEngines())("on %s", (engine) => {
  /** user.bindPhone's rules, through createCaller against the real mock WeChat over HTTP. */
  let api: ApiHarness;
  beforeAll(async () => {
    api = await startApiHarness({ engine });
  });
  afterAll(async () => api?.close());

  /** What the legacy button hands the mini-program, as it sends it on. */
  async function buttonData(
    openid: string,
    data: Record<string, unknown>,
    watermark?: { appid?: string; timestamp?: number },
  ) {
    const { encryptedData, iv } = await encryptForUser(api.mock.url, {
      openid,
      data,
      ...(watermark ? { watermark } : {}),
    });
    return { encryptedData, iv };
  }

  const login = (openid?: string) => loginAs(api, openid);

  describe("user.bindPhone with a getPhoneNumber code", () => {
    it("binds the number WeChat verified and shows it in user.me", async () => {
      const { token } = await login();
      const { code, phoneNumber } = await mintPhoneCode(api.mock.url, { phoneNumber: "13800138000" });
      const bound = await attempt(api.caller(token).user.bindPhone({ code }));
      expect(bound.status).toBe(200);
      expect(bound.data!.phoneNumber).toBe(phoneNumber);
      const me = await attempt(api.caller(token).user.me());
      expect(me.data!.phoneNumber).toBe("13800138000");
    });

    it("shares one access token across 20 concurrent bindings (one stable_token call)", async () => {
      const before = (await getMockStats(api.mock.url))["/cgi-bin/stable_token"] ?? 0;
      const users = await Promise.all(Array.from({ length: 20 }, () => login()));
      const codes = await Promise.all(users.map(() => mintPhoneCode(api.mock.url, {})));
      const results = await Promise.all(
        users.map((u, i) => attempt(api.caller(u.token).user.bindPhone({ code: codes[i]!.code }))),
      );
      expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));
      const calls = ((await getMockStats(api.mock.url))["/cgi-bin/stable_token"] ?? 0) - before;
      expect(calls).toBeLessThanOrEqual(1);
    });

    it("refreshes the access token once and retries once on 40001", async () => {
      const { token } = await login();
      await api.caller(token).user.bindPhone({ code: (await mintPhoneCode(api.mock.url, {})).code });
      const statsBefore = await getMockStats(api.mock.url);
      await injectFault(api.mock.url, { path: "/wxa/business/getuserphonenumber", errcode: 40001 });
      const { code } = await mintPhoneCode(api.mock.url, {});
      const result = await attempt(api.caller(token).user.bindPhone({ code }));
      expect(result.status).toBe(200);
      const statsAfter = await getMockStats(api.mock.url);
      expect(statsAfter["/cgi-bin/stable_token"]! - (statsBefore["/cgi-bin/stable_token"] ?? 0)).toBe(1);
      expect(statsAfter["/wxa/business/getuserphonenumber"]! - statsBefore["/wxa/business/getuserphonenumber"]!).toBe(
        2,
      );
    });

    it.each([
      { errcode: 40029, status: 400, reason: "PHONE_CODE_INVALID", action: "show" },
      { errcode: 45011, status: 429, reason: "WX_RATE_LIMITED", action: "retry" },
      { errcode: -1, status: 503, reason: "WX_BUSY", action: "retry" },
      { errcode: 40013, status: 500, reason: "WX_MISCONFIGURED", action: "show" },
    ])("maps getuserphonenumber $errcode to $reason", async ({ errcode, status, reason, action }) => {
      const { token } = await login();
      const { code } = await mintPhoneCode(api.mock.url, {});
      await injectFault(api.mock.url, { path: "/wxa/business/getuserphonenumber", errcode });
      const result = await attempt(api.caller(token).user.bindPhone({ code }));
      expect(result.status).toBe(status);
      expect(result.error!.data).toMatchObject({ reason, action });
      const me = await attempt(api.caller(token).user.me());
      expect(me.data!.phoneNumber).toBeNull();
    });

    it("refuses a used phone code", async () => {
      const { token } = await login();
      const { code } = await mintPhoneCode(api.mock.url, {});
      expect((await attempt(api.caller(token).user.bindPhone({ code }))).status).toBe(200);
      const again = await attempt(api.caller(token).user.bindPhone({ code }));
      expect(again.error!.data).toMatchObject({ code: "BAD_REQUEST", reason: "PHONE_CODE_INVALID" });
    });

    it("a token refused twice surfaces as a retryable WX_UNAVAILABLE", async () => {
      const { token } = await login();
      const { code } = await mintPhoneCode(api.mock.url, {});
      await injectFault(api.mock.url, { path: "/wxa/business/getuserphonenumber", errcode: 40001, count: 2 });
      const result = await attempt(api.caller(token).user.bindPhone({ code }));
      expect(result.status).toBe(502);
      expect(result.error!.data).toMatchObject({ reason: "WX_UNAVAILABLE", action: "retry" });
    });

    it("moves a number claimed by a second user to that user (newest verified binding wins)", async () => {
      const first = await login();
      const second = await login();
      const number = "13912345678";
      await api
        .caller(first.token)
        .user.bindPhone({ code: (await mintPhoneCode(api.mock.url, { phoneNumber: number })).code });
      const moved = await attempt(
        api
          .caller(second.token)
          .user.bindPhone({ code: (await mintPhoneCode(api.mock.url, { phoneNumber: number })).code }),
      );
      expect(moved.data!.phoneNumber).toBe(number);
      const firstMe = await attempt(api.caller(first.token).user.me());
      expect(firstMe.data!.phoneNumber).toBeNull();
      expect(await api.db.user.count({ where: { phoneNumber: number } })).toBe(1);
    });
  });

  describe("user.bindPhone with legacy encryptedData", () => {
    const phoneData = { phoneNumber: "13700137000", purePhoneNumber: "13700137000", countryCode: "86" };

    it("decrypts with the stored session_key and checks the watermark", async () => {
      const { token, openid } = await login();
      const encrypted = await buttonData(openid, phoneData);
      const result = await attempt(api.caller(token).user.bindPhone(encrypted));
      expect(result.status).toBe(200);
      expect(result.data!.phoneNumber).toBe("13700137000");
    });

    it("answers SESSION_KEY_STALE when WeChat rotated the key, and a fresh login fixes it", async () => {
      const { token, openid } = await login();
      // The user ran wx.login again (key rotated) but that code never reached us.
      await mintLoginCode(api.mock.url, { openid });
      const encrypted = await buttonData(openid, phoneData);
      const stale = await attempt(api.caller(token).user.bindPhone(encrypted));
      expect(stale.status).toBe(401);
      expect(stale.error!.data).toMatchObject({ code: "UNAUTHORIZED", reason: "SESSION_KEY_STALE", action: "relogin" });

      // What the link does: a fresh code (bound to WeChat's current key), auth.login, retry.
      const { code } = await mintLoginCode(api.mock.url, { openid, rotateSessionKey: false });
      const relogged = await attempt(api.caller().auth.login({ code }));
      const retried = await attempt(api.caller(relogged.data!.token).user.bindPhone(encrypted));
      expect(retried.status).toBe(200);
      expect(retried.data!.phoneNumber).toBe("13700137000");
    });

    it("tells corrupted data from a stale key (checksession says the key is current)", async () => {
      const { token, openid } = await login();
      const encrypted = await buttonData(openid, phoneData);
      // Flipping a bit of the iv flips the same bit of the first plaintext block: '{' is no longer '{'.
      const iv = Buffer.from(encrypted.iv, "base64");
      iv[0] = iv[0]! ^ 0x01;
      const result = await attempt(api.caller(token).user.bindPhone({ ...encrypted, iv: iv.toString("base64") }));
      expect(result.status).toBe(400);
      expect(result.error!.data).toMatchObject({
        code: "BAD_REQUEST",
        reason: "ENCRYPTED_DATA_INVALID",
        action: "show",
      });
      expect((await getMockStats(api.mock.url))["/wxa/checksession"]).toBeGreaterThan(0);
    });

    it("refuses data made for another app or too old", async () => {
      const { token, openid } = await login();
      const foreign = await buttonData(openid, phoneData, { appid: "wx0000000000000000" });
      const result = await attempt(api.caller(token).user.bindPhone(foreign));
      expect(result.error!.data).toMatchObject({ reason: "ENCRYPTED_DATA_INVALID" });
      const old = await buttonData(openid, phoneData, { timestamp: Math.floor(Date.now() / 1000) - 3600 });
      const oldResult = await attempt(api.caller(token).user.bindPhone(old));
      expect(oldResult.error!.data).toMatchObject({ reason: "ENCRYPTED_DATA_INVALID" });
    });

    it.each([
      [{}, /either/],
      [{ code: "abc", encryptedData: "AAAA", iv: "AAAAAAAAAAAAAAAAAAAAAA==" }, /either/],
      [{ encryptedData: "AAAA" }, /go together|either/],
      [{ encryptedData: "ab cd", iv: "AAAAAAAAAAAAAAAAAAAAAA==" }, /base64/],
      [{ encryptedData: "AAAA", iv: "AAAA AAAAAAAAAAAAAAAAA==" }, /iv must be base64/],
    ])("refuses malformed input %j", async (input, message) => {
      const { token } = await login();
      const result = await attempt(api.caller(token).user.bindPhone(input as never));
      expect(result.status).toBe(400);
      expect(result.error!.message).toMatch(message);
    });
  });
});
