import { mintLoginCode, MOCK_DEFAULT_APPID, personUnionid } from "@mp-auth/wechat/mock";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WechatApi } from "../src/context.ts";
import { ApiError } from "../src/errors.ts";
import { findLinkedAccounts, findUsersByUnionid } from "../src/index.ts";
import { resolveApp } from "../src/services/wechat-apps.ts";
import { apiTestEngines, attempt, startApiHarness, type ApiHarness } from "./api-harness.ts";

const APP_A = MOCK_DEFAULT_APPID;
const APP_B = "wxmock0000000000b2";
const referer = (appid: string) => `https://servicewechat.com/${appid}/3/page-frame.html`;

describe("resolveApp: which app a request is for", () => {
  const app = (appid: string) => ({ appid, wechat: {} as WechatApi });
  const one = { apps: new Map([[APP_A, app(APP_A)]]) };
  const two = { apps: new Map([APP_A, APP_B].map((appid) => [appid, app(appid)])) };
  const reasonOf = (run: () => unknown) => {
    try {
      run();
    } catch (error) {
      if (error instanceof ApiError) return error.reason;
      throw error;
    }
    return "resolved";
  };

  it("serves the one app when the request names none, and refuses to guess among several", () => {
    expect(resolveApp(one, {}).appid).toBe(APP_A);
    expect(resolveApp(one, { appid: "" }).appid).toBe(APP_A);
    expect(reasonOf(() => resolveApp(two, {}))).toBe("APPID_REQUIRED");
  });

  it("takes the X-WX-Appid header or WeChat's Referer, which must agree", () => {
    expect(resolveApp(two, { appid: APP_B }).appid).toBe(APP_B);
    expect(resolveApp(two, { referer: referer(APP_B) }).appid).toBe(APP_B);
    expect(resolveApp(two, { appid: APP_B, referer: referer(APP_B) }).appid).toBe(APP_B);
    expect(reasonOf(() => resolveApp(two, { appid: APP_A, referer: referer(APP_B) }))).toBe("APPID_MISMATCH");
  });

  it("ignores any other Referer (a browser page, a look-alike host)", () => {
    for (const other of [
      "http://127.0.0.1:10086/",
      `https://servicewechat.com.evil.example/${APP_B}/3/page-frame.html`,
      `https://servicewechat.com/${APP_B}/3/other.html`,
      "https://servicewechat.com/touristappid/devtools/page-frame.html",
    ]) {
      expect(resolveApp(one, { referer: other }).appid).toBe(APP_A);
      expect(reasonOf(() => resolveApp(two, { referer: other }))).toBe("APPID_REQUIRED");
    }
  });

  it("refuses an appid it does not serve, from either witness", () => {
    expect(reasonOf(() => resolveApp(one, { appid: APP_B }))).toBe("UNKNOWN_APPID");
    expect(reasonOf(() => resolveApp(one, { referer: referer(APP_B) }))).toBe("UNKNOWN_APPID");
    expect(reasonOf(() => resolveApp(one, { appid: `${APP_A}, ${APP_A}` }))).toBe("UNKNOWN_APPID");
  });
});

describe.each(await apiTestEngines())("two apps, one person, on %s", (engine) => {
  let api: ApiHarness;
  beforeAll(async () => {
    api = await startApiHarness({ engine, appids: [APP_A, APP_B] });
  });
  afterAll(async () => api?.close());

  async function loginTo(appid: string, mint: { person?: string; openid?: string }) {
    const { code } = await mintLoginCode(api.mock.url, { appid, ...mint });
    return api.caller(undefined, { appid }).auth.login({ code });
  }

  it("lists the accounts sharing a unionid, one per app, without merging them", async () => {
    const inA = await loginTo(APP_A, { person: "alice" });
    const inB = await loginTo(APP_B, { person: "alice" });
    await loginTo(APP_A, { person: "bob" });
    expect(inA.user.id).not.toBe(inB.user.id);

    const accounts = await findUsersByUnionid(api.db, personUnionid("alice"));
    expect(accounts.map(({ id, appid, unionid }) => ({ id, appid, unionid }))).toEqual([
      { id: inA.user.id, appid: APP_A, unionid: personUnionid("alice") },
      { id: inB.user.id, appid: APP_B, unionid: personUnionid("alice") },
    ]);
    expect(accounts[0]!.openid).not.toBe(accounts[1]!.openid);
    expect((await findLinkedAccounts(api.db, inA.user.id)).map((account) => account.id)).toEqual([inB.user.id]);
    expect((await findLinkedAccounts(api.db, inB.user.id)).map((account) => account.id)).toEqual([inA.user.id]);
  });

  it("finds nothing for a user without unionid, an unknown user or an empty unionid", async () => {
    const lonely = await loginTo(APP_B, { openid: "o-no-unionid-user-0000000001" });
    expect(await findLinkedAccounts(api.db, lonely.user.id)).toEqual([]);
    expect(await findLinkedAccounts(api.db, "no-such-user")).toEqual([]);
    expect(await findUsersByUnionid(api.db, "")).toEqual([]);
    expect(await findUsersByUnionid(api.db, "o-nobody")).toEqual([]);
  });

  it("accepts a session token only with the app it was issued to", async () => {
    const { token, user } = await loginTo(APP_B, { person: "carol" });
    await expect(api.caller(token, { appid: APP_B }).user.me()).resolves.toMatchObject({ id: user.id });
    const elsewhere = await attempt(api.caller(token, { appid: APP_A }).user.me());
    expect(elsewhere.error?.data).toMatchObject({ reason: "UNKNOWN_TOKEN", action: "relogin" });
  });
});
