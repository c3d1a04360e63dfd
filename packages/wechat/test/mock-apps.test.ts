import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createWechatClient, type WechatClient } from "../src/index.ts";
import {
  MOCK_DEFAULT_APPID,
  MOCK_DEFAULT_SECRET,
  encryptForUser,
  mintLoginCode,
  mintPhoneCode,
  mockAppsFor,
  personOpenid,
  personUnionid,
  resetMock,
  startMockWechat,
  type MockWechat,
} from "../src/mock/index.ts";
import { expectWechatError } from "./helpers.ts";

/** The mock serving two mini-programs, driven by the real client of each, over HTTP. */
const APP_A = MOCK_DEFAULT_APPID;
const APP_B = "wxmock0000000000b2";

let mock: MockWechat;
let clientA: WechatClient;
let clientB: WechatClient;

beforeAll(async () => {
  mock = await startMockWechat({ apps: mockAppsFor([APP_A, APP_B]) });
});
afterAll(() => mock.close());
beforeEach(async () => {
  await resetMock(mock.url);
  // New clients: the old ones cache tokens the reset just forgot.
  const [a, b] = mock.apps;
  clientA = createWechatClient({ ...a!, baseUrl: mock.url });
  clientB = createWechatClient({ ...b!, baseUrl: mock.url });
});

describe("a mock of several apps", () => {
  it("gives each app a secret of its own, the default app the default secret", () => {
    expect(mock.apps).toEqual([
      { appid: APP_A, secret: MOCK_DEFAULT_SECRET },
      { appid: APP_B, secret: expect.not.stringMatching(MOCK_DEFAULT_SECRET) as unknown },
    ]);
    expect([mock.appid, mock.secret]).toEqual([APP_A, MOCK_DEFAULT_SECRET]);
  });

  it("refuses another app's secret (40125) and an appid it does not serve (40013)", async () => {
    const { code } = await mintLoginCode(mock.url, { appid: APP_B });
    const wrongSecret = createWechatClient({ appid: APP_B, secret: MOCK_DEFAULT_SECRET, baseUrl: mock.url });
    expect((await expectWechatError(wrongSecret.code2Session(code))).errcode).toBe(40125);
    const stranger = createWechatClient({
      appid: "wx0000000000000000",
      secret: MOCK_DEFAULT_SECRET,
      baseUrl: mock.url,
    });
    expect((await expectWechatError(stranger.code2Session(code))).errcode).toBe(40013);
  });

  it("redeems a login code only in the app it was minted for (40029 elsewhere)", async () => {
    const { code, openid } = await mintLoginCode(mock.url, { appid: APP_B });
    expect((await expectWechatError(clientA.code2Session(code))).errcode).toBe(40029);
    await expect(clientB.code2Session(code)).resolves.toMatchObject({ openid });
  });

  it("gives a person one openid per app and one unionid across apps", async () => {
    const inA = await mintLoginCode(mock.url, { appid: APP_A, person: "alice" });
    const inB = await mintLoginCode(mock.url, { appid: APP_B, person: "alice" });
    expect(inA.openid).not.toBe(inB.openid);
    expect([inA.openid, inB.openid]).toEqual([personOpenid(APP_A, "alice"), personOpenid(APP_B, "alice")]);
    expect(inA.unionid).toBe(personUnionid("alice"));
    expect(inB.unionid).toBe(inA.unionid);
    expect(personUnionid("bob")).not.toBe(inA.unionid);
    await expect(clientA.code2Session(inA.code)).resolves.toMatchObject({ openid: inA.openid, unionid: inA.unionid });
    await expect(clientB.code2Session(inB.code)).resolves.toMatchObject({ openid: inB.openid, unionid: inA.unionid });
  });

  it("keeps access tokens per app: one app's token is unknown to another", async () => {
    const tokenA = await clientA.accessTokens.getToken();
    const tokenB = await clientB.accessTokens.getToken();
    expect(tokenA).not.toBe(tokenB);
    // A phone code of app A, redeemed with app B's token: unknown to B (40029); with A's, it works.
    const { code, phoneNumber } = await mintPhoneCode(mock.url, { appid: APP_A });
    expect((await expectWechatError(clientB.getUserPhoneNumber({ code }))).errcode).toBe(40029);
    await expect(clientA.getUserPhoneNumber({ code })).resolves.toMatchObject({
      phoneNumber,
      watermark: { appid: APP_A },
    });
  });

  it("checks session keys per app", async () => {
    const { openid } = await mintLoginCode(mock.url, { appid: APP_B, person: "carol" });
    const { encryptedData } = await encryptForUser(mock.url, { appid: APP_B, openid, data: { a: 1 } });
    expect(encryptedData).toBeTruthy();
    // The user exists in app B only: app A knows no such openid (40003).
    expect(
      (await expectWechatError(clientA.checkSessionKey({ openid, sessionKey: "AAAAAAAAAAAAAAAAAAAAAA==" }))).errcode,
    ).toBe(40003);
  });

  it("answers 400 naming its apps for a /mock/* request of an app it does not serve", async () => {
    await expect(mintLoginCode(mock.url, { appid: "wx0000000000000000" })).rejects.toThrow(
      new RegExp(`HTTP 400: The mock serves no app wx0000000000000000; it serves ${APP_A}, ${APP_B}`),
    );
    await expect(mintLoginCode(mock.url, { person: "x", openid: "o1" })).rejects.toThrow(
      /person.*or `openid`, not both/,
    );
  });
});

describe("phone codes bound to their user (getuserphonenumber's openid)", () => {
  it("refuses a code minted for one openid when another is passed (40029), without using it up", async () => {
    const { code, phoneNumber } = await mintPhoneCode(mock.url, { openid: "o-owner" });
    expect((await expectWechatError(clientA.getUserPhoneNumber({ code, openid: "o-thief" }))).errcode).toBe(40029);
    await expect(clientA.getUserPhoneNumber({ code, openid: "o-owner" })).resolves.toMatchObject({ phoneNumber });
    // Single use once redeemed.
    expect((await expectWechatError(clientA.getUserPhoneNumber({ code, openid: "o-owner" }))).errcode).toBe(40029);
  });

  it("accepts a code minted without an openid for any caller, and a bound code without an openid passed", async () => {
    const open = await mintPhoneCode(mock.url, {});
    await expect(clientA.getUserPhoneNumber({ code: open.code, openid: "o-anyone" })).resolves.toMatchObject({
      phoneNumber: open.phoneNumber,
    });
    const bound = await mintPhoneCode(mock.url, { openid: "o-owner" });
    await expect(clientA.getUserPhoneNumber({ code: bound.code })).resolves.toMatchObject({
      phoneNumber: bound.phoneNumber,
    });
  });

  it("answers 47001 for an openid that is not a string", async () => {
    const token = await clientA.accessTokens.getToken();
    const { code } = await mintPhoneCode(mock.url, {});
    const response = await fetch(`${mock.url}/wxa/business/getuserphonenumber?access_token=${token}`, {
      method: "POST",
      body: JSON.stringify({ code, openid: 42 }),
    });
    expect(JSON.parse(await response.text())).toMatchObject({ errcode: 47001 });
  });
});
