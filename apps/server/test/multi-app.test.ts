import { findUsersByUnionid } from "@mp-auth/api";
import { createDatabase } from "@mp-auth/db";
import {
  getMockStats,
  mintLoginCode,
  mintPhoneCode,
  MOCK_DEFAULT_APPID,
  mockAppsFor,
  personUnionid,
  startMockWechat,
  type MockWechat,
} from "@mp-auth/wechat/mock";
import { startServer, type RunningServer } from "../src/index.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  call,
  LogCapture,
  serverTestEngines,
  startTestServer,
  tempDatabaseUrl,
  TEST_ENCRYPTION_KEY,
  type LoginResult,
  type TestServer,
} from "./harness.ts";

/**
 * Two mini-programs on one server (README "Several mini-programs"): the real server over HTTP with
 * its mock WeChat serving both appids, each with its own secret.
 */
const APP_A = MOCK_DEFAULT_APPID;
const APP_B = "wxmock0000000000b2";
const wechatReferer = (appid: string) => `https://servicewechat.com/${appid}/12/page-frame.html`;

describe.each(await serverTestEngines())("two apps on one server, on %s", (engine) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ WX_MOCK_APPIDS: `${APP_A},${APP_B}` }, { engine });
  });
  afterAll(async () => server?.close());

  /** wx.login in `appid` for a person (the mock gives them one openid per app, one unionid), then auth.login. */
  async function loginTo(appid: string, person: string, via: "header" | "referer" = "header") {
    const minted = await mintLoginCode(server.mockWechatUrl, { appid, person });
    const result = await call<LoginResult>(server.url, "auth.login", {
      input: { code: minted.code },
      headers: via === "header" ? { "x-wx-appid": appid } : { referer: wechatReferer(appid) },
    });
    if (!result.data) throw new Error(`login to ${appid} failed: ${result.raw}`);
    return { ...result.data, openid: minted.openid };
  }

  const me = (token: string, headers: Record<string, string>) =>
    call<{ id: string }>(server.url, "user.me", { type: "query", token, headers });

  it("keeps one account per app for the same person, linked by unionid and not merged", async () => {
    const inA = await loginTo(APP_A, "alice");
    const inB = await loginTo(APP_B, "alice", "referer");
    expect(inB.user.id).not.toBe(inA.user.id);
    expect(inB.openid).not.toBe(inA.openid);

    const db = await createDatabase(server.databaseUrl);
    try {
      const linked = await findUsersByUnionid(db, personUnionid("alice"));
      expect(linked.map((account) => [account.appid, account.openid])).toEqual([
        [APP_A, inA.openid],
        [APP_B, inB.openid],
      ]);
      expect(linked.map((account) => account.id)).toEqual([inA.user.id, inB.user.id]);
    } finally {
      await db.$disconnect();
    }
    // Each app's profile stays its own.
    expect((await me(inA.token, { "x-wx-appid": APP_A })).data!.id).toBe(inA.user.id);
    expect((await me(inB.token, { "x-wx-appid": APP_B })).data!.id).toBe(inB.user.id);
  });

  it("accepts a session token only for the app it was issued to", async () => {
    const { token, user } = await loginTo(APP_A, "bob");
    expect((await me(token, { "x-wx-appid": APP_A })).data!.id).toBe(user.id);
    // WeChat's own Referer alone names the app as well.
    expect((await me(token, { referer: wechatReferer(APP_A) })).data!.id).toBe(user.id);

    const otherApp: Record<string, string>[] = [{ "x-wx-appid": APP_B }, { referer: wechatReferer(APP_B) }];
    for (const headers of otherApp) {
      const elsewhere = await me(token, headers);
      expect(elsewhere.status).toBe(401);
      // To the other app the token is unknown: the link logs in there, and nothing says it exists.
      expect(elsewhere.error!.data).toMatchObject({ reason: "UNKNOWN_TOKEN", action: "relogin" });
    }
    // A server of several apps cannot guess: the caller must say which.
    const unnamed = await me(token, {});
    expect(unnamed.status).toBe(400);
    expect(unnamed.error!.data.reason).toBe("APPID_REQUIRED");
  });

  it("exchanges a code with its own app's secret: a code of app A sent as app B is invalid", async () => {
    const { code } = await mintLoginCode(server.mockWechatUrl, { appid: APP_A, person: "carol" });
    const asB = await call(server.url, "auth.login", { input: { code }, headers: { "x-wx-appid": APP_B } });
    expect(asB.status).toBe(400);
    expect(asB.error!.data.reason).toBe("WX_CODE_INVALID");
    const asA = await call<LoginResult>(server.url, "auth.login", {
      input: { code },
      headers: { "x-wx-appid": APP_A },
    });
    expect(asA.status).toBe(200);
  });

  it("keeps one access token per app and binds the same number in each app", async () => {
    const before = (await getMockStats(server.mockWechatUrl))["/cgi-bin/stable_token"] ?? 0;
    const inA = await loginTo(APP_A, "dave");
    const inB = await loginTo(APP_B, "dave");
    for (const [appid, account] of [
      [APP_A, inA],
      [APP_B, inB],
    ] as const) {
      for (let bind = 0; bind < 2; bind++) {
        const { code } = await mintPhoneCode(server.mockWechatUrl, {
          appid,
          openid: account.openid,
          phoneNumber: "13800138042",
        });
        const bound = await call<{ phoneNumber: string }>(server.url, "user.bindPhone", {
          token: account.token,
          input: { code },
          headers: { "x-wx-appid": appid },
        });
        expect(bound.status).toBe(200);
        expect(bound.data!.phoneNumber).toBe("13800138042");
      }
    }
    // Four bindings, two apps: one stable_token call each (in Redis per appid when Redis is on).
    const after = (await getMockStats(server.mockWechatUrl))["/cgi-bin/stable_token"] ?? 0;
    expect(after - before).toBe(2);
    // The number moved from no one: each app's account keeps it.
    expect((await me(inA.token, { "x-wx-appid": APP_A })).raw).toContain("13800138042");
    expect((await me(inB.token, { "x-wx-appid": APP_B })).raw).toContain("13800138042");
  });

  it("refuses a phone code minted for app A when app B's user presents it", async () => {
    const inB = await loginTo(APP_B, "erin");
    const { code } = await mintPhoneCode(server.mockWechatUrl, { appid: APP_A });
    const refused = await call(server.url, "user.bindPhone", {
      token: inB.token,
      input: { code },
      headers: { "x-wx-appid": APP_B },
    });
    expect(refused.status).toBe(400);
    expect(refused.error!.data.reason).toBe("PHONE_CODE_INVALID");
  });
});

describe("phone codes bound to their user (getuserphonenumber with the caller's openid)", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => server?.close());

  async function login() {
    const minted = await mintLoginCode(server.mockWechatUrl, {});
    const result = await call<LoginResult>(server.url, "auth.login", { input: { code: minted.code } });
    return { ...result.data!, openid: minted.openid };
  }

  it("refuses a code obtained by another user, which its owner can still use", async () => {
    const owner = await login();
    const thief = await login();
    const { code, phoneNumber } = await mintPhoneCode(server.mockWechatUrl, { openid: owner.openid });

    const stolen = await call(server.url, "user.bindPhone", { token: thief.token, input: { code } });
    expect(stolen.status).toBe(400);
    expect(stolen.error!.data).toMatchObject({ reason: "PHONE_CODE_INVALID", action: "show" });
    const thiefMe = await call<{ phoneNumber: string | null }>(server.url, "user.me", {
      type: "query",
      token: thief.token,
    });
    expect(thiefMe.data!.phoneNumber).toBeNull();

    const own = await call<{ phoneNumber: string }>(server.url, "user.bindPhone", {
      token: owner.token,
      input: { code },
    });
    expect(own.status).toBe(200);
    expect(own.data!.phoneNumber).toBe(phoneNumber);
  });
});

describe("WX_APPS: several real apps, configured by appid:secret", () => {
  // A WeChat of two apps (the mock, started apart, as the real API would be) and a server that is
  // told the two apps' secrets, as in production.
  let wechat: MockWechat;
  let server: RunningServer;
  const logs = new LogCapture();
  beforeAll(async () => {
    wechat = await startMockWechat({ apps: mockAppsFor([APP_A, APP_B]) });
    server = await startServer({
      env: {
        HOST: "127.0.0.1",
        PORT: "0",
        LOG_LEVEL: "debug",
        DATABASE_URL: tempDatabaseUrl(),
        SESSION_KEY_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
        WX_APPS: wechat.apps.map((app) => `${app.appid}:${app.secret}`).join(","),
        WX_API_BASE: wechat.url,
      },
      logDestination: logs,
    });
  });
  afterAll(async () => {
    await server?.close();
    await wechat?.close();
  });

  it("serves each app with its own secret, and never logs a secret", async () => {
    expect(server.mockWechatUrl).toBeUndefined();
    for (const appid of [APP_A, APP_B]) {
      const { code } = await mintLoginCode(wechat.url, { appid, person: "frank" });
      const login = await call<LoginResult>(server.url, "auth.login", {
        input: { code },
        headers: { "x-wx-appid": appid },
      });
      expect(login.status).toBe(200);
    }
    expect(logs.text).toContain(APP_B);
    for (const { secret } of wechat.apps) expect(logs.text).not.toContain(secret);
  });
});
