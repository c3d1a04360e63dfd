import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  createWechatClient,
  decryptUserData,
  sessionKeySignature,
  verifyRawDataSignature,
  verifyWatermark,
} from "../src/index.ts";
import type { WechatClient } from "../src/index.ts";
import {
  MOCK_DEFAULT_CODE_TTL_MS,
  advanceMockClock,
  encryptForUser,
  getMockClock,
  getMockStats,
  injectFault,
  mintLoginCode,
  mintPhoneCode,
  randomSessionKey,
  resetMock,
  startMockWechat,
} from "../src/mock/index.ts";
import type { MockWechat } from "../src/mock/index.ts";
import {
  CHECK_SESSION_PATH,
  PHONE_NUMBER_PATH,
  RESET_SESSION_KEY_PATH,
  expectNoLeak,
  expectWechatError,
} from "./helpers.ts";

const SECRET = "server-api-secret-8c2d4e6f1a";
const START = 1_700_000_000_000;
let baseClock = START;
let mock: MockWechat;
let client: WechatClient;
/** The mock's clock as the manager sees it: base plus whatever /mock/clock added. */
let clockOffset = 0;

beforeAll(async () => {
  mock = await startMockWechat({ appid: "wxserverapi0000001", secret: SECRET, now: () => baseClock });
});
afterAll(() => mock.close());
beforeEach(async () => {
  baseClock = START;
  clockOffset = 0;
  await resetMock(mock.url);
  client = createWechatClient({
    appid: mock.appid,
    secret: SECRET,
    baseUrl: mock.url,
    timeoutMs: 2000,
    accessTokens: { now: () => baseClock + clockOffset },
  });
});

async function advance(ms: number): Promise<void> {
  clockOffset = (await advanceMockClock(mock.url, ms)).offsetMs;
}

async function login(openid?: string, rotateSessionKey?: boolean) {
  const { code } = await mintLoginCode(mock.url, {
    ...(openid === undefined ? {} : { openid }),
    ...(rotateSessionKey === undefined ? {} : { rotateSessionKey }),
  });
  return client.code2Session(code);
}

describe("getUserPhoneNumber", () => {
  it("returns the number minted for the code, with a watermark of our appid and the mock's time", async () => {
    const minted = await mintPhoneCode(mock.url, { phoneNumber: "13800138000" });
    expect(minted).toEqual({
      code: expect.stringMatching(/^[0-9a-f]{64}$/),
      phoneNumber: "13800138000",
      purePhoneNumber: "13800138000",
      countryCode: "86",
    });
    expect(await client.getUserPhoneNumber({ code: minted.code })).toEqual({
      phoneNumber: "13800138000",
      purePhoneNumber: "13800138000",
      countryCode: "86",
      watermark: { appid: mock.appid, timestamp: Math.floor(START / 1000) },
    });
  });

  it("mints a random 1380013xxxx number by default, remembers one per openid, and takes a country code", async () => {
    const random = await mintPhoneCode(mock.url);
    expect(random.purePhoneNumber).toMatch(/^1380013\d{4}$/);
    const mine = await mintPhoneCode(mock.url, { openid: "oPhoneUser00000000000000001" });
    expect((await mintPhoneCode(mock.url, { openid: "oPhoneUser00000000000000001" })).purePhoneNumber).toBe(
      mine.purePhoneNumber,
    );
    const abroad = await mintPhoneCode(mock.url, { phoneNumber: "4155550100", countryCode: "1" });
    expect(await client.getUserPhoneNumber({ code: abroad.code, openid: "oAnyone" })).toMatchObject({
      purePhoneNumber: "4155550100",
      countryCode: "1",
      phoneNumber: "+14155550100",
    });
  });

  it("each code works once: the second use is 40029 (invalid_code), naming neither code nor token", async () => {
    const minted = await mintPhoneCode(mock.url);
    await client.getUserPhoneNumber({ code: minted.code });
    const error = await expectWechatError(client.getUserPhoneNumber({ code: minted.code }));
    expect([error.kind, error.errcode, error.retryable]).toEqual(["invalid_code", 40029, false]);
    expect(error.message).toContain("WeChat getUserPhoneNumber refused the code: invalid phone code (errcode 40029)");
    expect(error.message).toContain("tap the phone button again");
    expectNoLeak(error, [minted.code, await client.accessTokens.getToken(), SECRET, minted.purePhoneNumber]);
  });

  it("a code expires after 5 minutes of mock time", async () => {
    const minted = await mintPhoneCode(mock.url);
    await advance(MOCK_DEFAULT_CODE_TTL_MS);
    expect((await expectWechatError(client.getUserPhoneNumber({ code: minted.code }))).errcode).toBe(40029);
  });

  it.each([
    { errcode: 45011, kind: "rate_limited", retryable: true },
    { errcode: -1, kind: "busy", retryable: true },
    { errcode: 40013, kind: "config", retryable: false },
  ] as const)("$errcode injected as a fault -> $kind, and the code survives", async ({ errcode, kind, retryable }) => {
    const minted = await mintPhoneCode(mock.url);
    await injectFault(mock.url, { path: PHONE_NUMBER_PATH, errcode });
    const error = await expectWechatError(client.getUserPhoneNumber({ code: minted.code }));
    expect([error.kind, error.errcode, error.retryable]).toEqual([kind, errcode, retryable]);
    expectNoLeak(error, [minted.code, await client.accessTokens.getToken(), SECRET]);
    expect((await client.getUserPhoneNumber({ code: minted.code })).purePhoneNumber).toBe(minted.purePhoneNumber);
  });

  it("an unknown errcode quotes errmsg with the token and code scrubbed", async () => {
    const minted = await mintPhoneCode(mock.url);
    const token = await client.accessTokens.getToken();
    await injectFault(mock.url, { path: PHONE_NUMBER_PATH, errcode: 61450, errmsg: `odd: ${token} / ${minted.code}` });
    const error = await expectWechatError(client.getUserPhoneNumber({ code: minted.code }));
    expect([error.kind, error.errcode]).toEqual(["unknown", 61450]);
    expect(error.message).toContain("odd: [redacted] / [redacted]");
    expectNoLeak(error, [token, minted.code]);
  });

  it("an empty code fails locally with missing_code, without calling WeChat", async () => {
    const error = await expectWechatError(client.getUserPhoneNumber({ code: "" }));
    expect(error.kind).toBe("missing_code");
    expect((await getMockStats(mock.url))[PHONE_NUMBER_PATH]).toBe(0);
  });

  it("a timeout names no URL (the access_token is in it)", async () => {
    const impatient = createWechatClient({ appid: mock.appid, secret: SECRET, baseUrl: mock.url, timeoutMs: 200 });
    const minted = await mintPhoneCode(mock.url);
    const token = await impatient.accessTokens.getToken();
    await injectFault(mock.url, { path: PHONE_NUMBER_PATH, hang: true });
    const error = await expectWechatError(impatient.getUserPhoneNumber({ code: minted.code }));
    expect([error.kind, error.retryable]).toEqual(["timeout", true]);
    expectNoLeak(error, [token, minted.code, PHONE_NUMBER_PATH]);
  });
});

describe("checkSessionKey and resetUserSessionKey", () => {
  it("true for the user's current key; false (87009) once a new wx.login rotated it", async () => {
    const user = await login();
    expect(await client.checkSessionKey(user)).toBe(true);
    await mintLoginCode(mock.url, { openid: user.openid }); // rotates by default
    expect(await client.checkSessionKey(user)).toBe(false);
    expect((await getMockStats(mock.url))[CHECK_SESSION_PATH]).toBe(2);
  });

  it("a login with rotateSessionKey: false keeps the key (and its code redeems to it)", async () => {
    const user = await login();
    const again = await login(user.openid, false);
    expect(again.sessionKey).toBe(user.sessionKey);
    expect(await client.checkSessionKey(user)).toBe(true);
    const firstEver = await login("oNeverSeen0000000000000000001", false);
    expect(await client.checkSessionKey(firstEver)).toBe(true);
  });

  it("reset issues a new key and kills the old one; resetting with the old key is session_key_invalid", async () => {
    const user = await login();
    const reset = await client.resetUserSessionKey(user);
    expect(reset.openid).toBe(user.openid);
    expect(reset.sessionKey).not.toBe(user.sessionKey);
    expect(Buffer.from(reset.sessionKey, "base64")).toHaveLength(16);
    expect(await client.checkSessionKey(user)).toBe(false);
    expect(await client.checkSessionKey({ openid: user.openid, sessionKey: reset.sessionKey })).toBe(true);

    const error = await expectWechatError(client.resetUserSessionKey(user));
    expect([error.kind, error.errcode, error.retryable]).toEqual(["session_key_invalid", 87009, false]);
    expectNoLeak(error, [
      user.sessionKey,
      reset.sessionKey,
      sessionKeySignature(user.sessionKey),
      await client.accessTokens.getToken(),
    ]);
    expect((await getMockStats(mock.url))[RESET_SESSION_KEY_PATH]).toBe(2);
  });

  it("an openid the mock does not know is 40003 (invalid_request)", async () => {
    const error = await expectWechatError(
      client.checkSessionKey({ openid: "oUnknown00000000000000000001", sessionKey: randomSessionKey() }),
    );
    expect([error.kind, error.errcode]).toEqual(["invalid_request", 40003]);
  });

  it("the mock answers 87008 to a sig_method other than hmac_sha256, and 87009 to a signature over the decoded key", async () => {
    const user = await login();
    const token = await client.accessTokens.getToken();
    const call = async (path: string, params: Record<string, string>) =>
      (
        JSON.parse(
          await (
            await fetch(
              `${mock.url}${path}?${new URLSearchParams({ access_token: token, openid: user.openid, ...params }).toString()}`,
            )
          ).text(),
        ) as { errcode: number }
      ).errcode;
    const signature = sessionKeySignature(user.sessionKey);
    expect(await call(CHECK_SESSION_PATH, { signature, sig_method: "hmac_sha256" })).toBe(0);
    expect(await call(RESET_SESSION_KEY_PATH, { signature, sig_method: "sha256" })).toBe(87008);
    expect(await call(CHECK_SESSION_PATH, { signature })).toBe(87008);
    const overDecodedKey = (await import("node:crypto"))
      .createHmac("sha256", Buffer.from(user.sessionKey, "base64"))
      .update("")
      .digest("hex");
    expect(await call(CHECK_SESSION_PATH, { signature: overDecodedKey, sig_method: "hmac_sha256" })).toBe(87009);
  });

  it("token errors on checksession get one refresh and retry too", async () => {
    const user = await login();
    await client.accessTokens.getToken();
    await injectFault(mock.url, { path: CHECK_SESSION_PATH, errcode: 42001 });
    expect(await client.checkSessionKey(user)).toBe(true);
  });
});

describe("POST /mock/encrypted-data and the legacy button flow", () => {
  it("encrypts data plus a watermark with the user's current key; decrypts with it, fails with a wrong one", async () => {
    const user = await login();
    const phone = { phoneNumber: "13800138000", purePhoneNumber: "13800138000", countryCode: "86" };
    const encrypted = await encryptForUser(mock.url, { openid: user.openid, data: phone });
    const data = decryptUserData({ ...encrypted, sessionKey: user.sessionKey });
    expect(data).toEqual({ ...phone, watermark: { timestamp: Math.floor(START / 1000), appid: mock.appid } });
    expect(verifyWatermark(data, { appid: mock.appid, maxAgeSeconds: 300, now: () => START })).toEqual({
      appid: mock.appid,
      timestamp: Math.floor(START / 1000),
    });

    const wrongKey = randomSessionKey();
    const error = await expectWechatError(
      Promise.resolve().then(() => decryptUserData({ ...encrypted, sessionKey: wrongKey })),
    );
    expect(error.kind).toBe("decrypt_failed");
    expectNoLeak(error, [wrongKey, user.sessionKey, encrypted.iv]);
  });

  it("gives rawData and a signature that verify with the user's key", async () => {
    const user = await login();
    const profile = { nickName: "Band", gender: 1 };
    const { rawData, signature } = await encryptForUser(mock.url, { openid: user.openid, data: profile });
    expect(JSON.parse(rawData)).toEqual(profile);
    expect(verifyRawDataSignature({ rawData, signature, sessionKey: user.sessionKey })).toBe(true);
    expect(verifyRawDataSignature({ rawData, signature, sessionKey: randomSessionKey() })).toBe(false);
  });

  it("stale session_key -> decrypt fails -> a fresh code bound to the current key -> retry succeeds", async () => {
    const user = await login();
    // The mini-program called wx.login again and WeChat rotated the key we do not hold yet.
    await mintLoginCode(mock.url, { openid: user.openid });
    const encrypted = await encryptForUser(mock.url, { openid: user.openid, data: { purePhoneNumber: "13800138000" } });
    expect(
      (
        await expectWechatError(
          Promise.resolve().then(() => decryptUserData({ ...encrypted, sessionKey: user.sessionKey })),
        )
      ).kind,
    ).toBe("decrypt_failed");
    // The client logs in again without rotating (the data was made with the current key).
    const fresh = await login(user.openid, false);
    expect(decryptUserData({ ...encrypted, sessionKey: fresh.sessionKey })).toMatchObject({
      purePhoneNumber: "13800138000",
    });
  });

  it("watermark overrides: another appid and a stale timestamp are refused", async () => {
    const user = await login();
    const foreign = await encryptForUser(mock.url, {
      openid: user.openid,
      data: {},
      watermark: { appid: "wxsomeoneelse00001" },
    });
    const foreignData = decryptUserData({ ...foreign, sessionKey: user.sessionKey });
    expect(() => verifyWatermark(foreignData, { appid: mock.appid, maxAgeSeconds: 300, now: () => START })).toThrow(
      /appid is not ours/,
    );

    const encrypted = await encryptForUser(mock.url, { openid: user.openid, data: {} });
    await advance(301_000);
    const now = () => baseClock + clockOffset;
    const error = await expectWechatError(
      Promise.resolve().then(() =>
        verifyWatermark(decryptUserData({ ...encrypted, sessionKey: user.sessionKey }), {
          appid: mock.appid,
          maxAgeSeconds: 300,
          now,
        }),
      ),
    );
    expect(error.kind).toBe("watermark_invalid");
  });

  it("encrypts with an explicit sessionKey, and refuses an unknown user or a bad key", async () => {
    const sessionKey = randomSessionKey();
    const encrypted = await encryptForUser(mock.url, { openid: "oNobody", data: { a: 1 }, sessionKey });
    expect(decryptUserData({ ...encrypted, sessionKey })).toMatchObject({ a: 1 });
    await expect(encryptForUser(mock.url, { openid: "oNobody", data: {} })).rejects.toThrow(
      /HTTP 404.*mint a login code/,
    );
    await expect(encryptForUser(mock.url, { openid: "oNobody", data: {}, sessionKey: "short" })).rejects.toThrow(
      /HTTP 400.*session_key/,
    );
  });
});

describe("POST /mock/clock", () => {
  it("moves the mock's now forward: login codes expire, tokens expire, reset puts it back", async () => {
    expect(await getMockClock(mock.url)).toEqual({ now: START, offsetMs: 0 });
    const { code } = await mintLoginCode(mock.url);
    const token = await client.accessTokens.getToken();
    expect(await advanceMockClock(mock.url, MOCK_DEFAULT_CODE_TTL_MS)).toEqual({
      now: START + MOCK_DEFAULT_CODE_TTL_MS,
      offsetMs: MOCK_DEFAULT_CODE_TTL_MS,
    });
    expect((await expectWechatError(client.code2Session(code))).errcode).toBe(40029);

    await advanceMockClock(mock.url, 7_200_000);
    // The manager's clock was not moved: it still trusts its token, WeChat says expired, one refresh fixes it.
    const user = await login();
    expect(await client.checkSessionKey(user)).toBe(true);
    expect(await client.accessTokens.getToken()).not.toBe(token);

    await resetMock(mock.url);
    expect((await getMockClock(mock.url)).offsetMs).toBe(0);
  });

  it("refuses to go backwards or to take seconds for milliseconds by a year", async () => {
    await expect(advanceMockClock(mock.url, -1)).rejects.toThrow(/HTTP 400/);
    await expect(advanceMockClock(mock.url, 400 * 86_400_000)).rejects.toThrow(/HTTP 400/);
    await expect(advanceMockClock(mock.url, 1.5)).rejects.toThrow(/HTTP 400/);
  });
});
