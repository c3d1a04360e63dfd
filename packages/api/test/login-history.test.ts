import { injectFault, mintLoginCode } from "@mp-auth/wechat/mock";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { RequestInfo } from "../src/context.ts";
import {
  addressNetwork,
  banUser,
  createCaller,
  createContextInner,
  deleteAccount,
  purgeLoginHistory,
} from "../src/index.ts";
import { apiTestEngines, attempt, startApiHarness, type ApiHarness } from "./api-harness.ts";

const fromPhone: RequestInfo = {
  clientIp: "203.0.113.77",
  userAgent: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) MicroMessenger/8.0.50 miniProgram",
};

describe("addressNetwork", () => {
  it("cuts an address to its network: IPv4 /24, IPv6 /48, mapped IPv4 as IPv4", () => {
    expect(addressNetwork("203.0.113.77")).toBe("203.0.113.0/24");
    expect(addressNetwork("2001:db8:abcd:12:1:2:3:4")).toBe("2001:db8:abcd::/48");
    expect(addressNetwork("::ffff:198.51.100.9")).toBe("198.51.100.0/24");
    expect(addressNetwork("not an address")).toBeNull();
    expect(addressNetwork(null)).toBeNull();
  });
});

describe.each(await apiTestEngines())("login history on %s", (engine) => {
  let api: ApiHarness;
  beforeAll(async () => {
    api = await startApiHarness({ engine, loginRateLimitPerOpenid: 3 });
  });
  afterAll(async () => api?.close());
  beforeEach(async () => {
    await api.db.loginAttempt.deleteMany({});
  });

  const allAttempts = () =>
    api.db.loginAttempt.findMany({
      select: {
        id: true,
        userId: true,
        appid: true,
        createdAt: true,
        result: true,
        reason: true,
        clientIp: true,
        userAgent: true,
      },
      orderBy: [{ createdAt: "asc" }],
    });

  it("records a success with the user, the app, the address and the user agent, and never the code or token", async () => {
    const { code } = await mintLoginCode(api.mock.url, {});
    const before = new Date();
    const login = await api.caller(undefined, fromPhone).auth.login({ code });
    const [row, ...more] = await allAttempts();
    expect(more).toEqual([]);
    expect(row).toMatchObject({
      userId: login.user.id,
      appid: api.mock.appid,
      result: "success",
      reason: null,
      clientIp: fromPhone.clientIp,
      userAgent: fromPhone.userAgent,
    });
    expect(row!.createdAt.getTime()).toBeGreaterThanOrEqual(before.getTime() - 1000);
    const stored = JSON.stringify(row);
    expect(stored).not.toContain(code);
    expect(stored).not.toContain(login.token);
  });

  it("records WeChat's refusal of a code without a user (nobody is known yet)", async () => {
    const result = await attempt(api.caller(undefined, fromPhone).auth.login({ code: "0".repeat(32) }));
    expect(result.error?.data.reason).toBe("WX_CODE_INVALID");
    expect(await allAttempts()).toMatchObject([{ userId: null, result: "refused", reason: "WX_CODE_INVALID" }]);
  });

  it("records a used code sent from another client as refused", async () => {
    const { code } = await mintLoginCode(api.mock.url, {});
    await api.caller(undefined, fromPhone).auth.login({ code });
    const replay = await attempt(api.caller(undefined, { clientIp: "198.51.100.1" }).auth.login({ code }));
    expect(replay.error?.data.reason).toBe("WX_CODE_USED");
    expect((await allAttempts()).map((row) => [row.result, row.reason, row.clientIp])).toEqual([
      ["success", null, fromPhone.clientIp],
      ["refused", "WX_CODE_USED", "198.51.100.1"],
    ]);
  });

  it("records the per-user rate limit with the user it refused", async () => {
    const openid = `o-history-limit-${engine}`;
    const first = await api.caller().auth.login({ code: (await mintLoginCode(api.mock.url, { openid })).code });
    await api.caller().auth.login({ code: (await mintLoginCode(api.mock.url, { openid })).code });
    await api.caller().auth.login({ code: (await mintLoginCode(api.mock.url, { openid })).code });
    const limited = await attempt(
      api.caller().auth.login({ code: (await mintLoginCode(api.mock.url, { openid })).code }),
    );
    expect(limited.error?.data.reason).toBe("LOGIN_RATE_LIMITED");
    const rows = await allAttempts();
    expect(rows.map((row) => [row.userId, row.result, row.reason])).toEqual([
      [first.user.id, "success", null],
      [first.user.id, "success", null],
      [first.user.id, "success", null],
      [first.user.id, "refused", "LOGIN_RATE_LIMITED"],
    ]);
  });

  it("records WeChat being down as an error, not a refusal", async () => {
    const { code } = await mintLoginCode(api.mock.url, {});
    await injectFault(api.mock.url, { path: "/sns/jscode2session", errcode: -1 });
    const result = await attempt(api.caller().auth.login({ code }));
    expect(result.error?.data.reason).toBe("WX_BUSY");
    expect(await allAttempts()).toMatchObject([{ userId: null, result: "error", reason: "WX_BUSY" }]);
  });

  it("records an internal fault after WeChat named the user as an error of that user", async () => {
    const { code, openid } = await mintLoginCode(api.mock.url, {});
    // A session cache that fails (an injected dependency): the login fails after the user row exists.
    const deps = {
      ...api.deps,
      sessionCache: {
        ...api.deps.sessionCache,
        invalidateUser: () => Promise.reject(new Error("cache down")),
      },
    };
    const result = await attempt(
      createCaller(createContextInner(deps, { clientIp: "127.0.0.1" })).auth.login({ code }),
    );
    expect(result.error?.data.reason).toBe("INTERNAL");
    const user = await api.db.user.findUniqueOrThrow({
      where: { appid_openid: { appid: api.mock.appid, openid } },
      select: { id: true },
    });
    expect(await allAttempts()).toMatchObject([{ userId: user.id, result: "error", reason: "INTERNAL" }]);
  });

  it("records a banned user's login as refused with ACCOUNT_BANNED, for that user", async () => {
    const openid = `o-history-banned-${engine}`;
    const login = await api.caller().auth.login({ code: (await mintLoginCode(api.mock.url, { openid })).code });
    await banUser(api.deps, { userId: login.user.id, reason: "test" });
    const refused = await attempt(
      api.caller().auth.login({ code: (await mintLoginCode(api.mock.url, { openid })).code }),
    );
    expect(refused.error?.data.reason).toBe("ACCOUNT_BANNED");
    expect((await allAttempts()).map((row) => [row.userId, row.result, row.reason])).toEqual([
      [login.user.id, "success", null],
      [login.user.id, "refused", "ACCOUNT_BANNED"],
    ]);
  });

  it("erases a deleted account's login history with it", async () => {
    const login = await api.caller().auth.login({ code: (await mintLoginCode(api.mock.url, {})).code });
    const other = await api.caller().auth.login({ code: (await mintLoginCode(api.mock.url, {})).code });
    await deleteAccount(api.deps, { userId: login.user.id });
    expect((await allAttempts()).map((row) => row.userId)).toEqual([other.user.id]);
  });

  it("auth.history: the caller's own attempts, newest first, in bounded pages, with networks instead of addresses", async () => {
    const openid = `o-history-list-${engine}`;
    const logins = [];
    for (let i = 0; i < 3; i++) {
      const { code } = await mintLoginCode(api.mock.url, { openid });
      logins.push(await api.caller(undefined, { ...fromPhone, clientIp: `203.0.113.${10 + i}` }).auth.login({ code }));
      // Distinct timestamps on every engine (MySQL DATETIME(3) keeps milliseconds).
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    // Someone else's login and an unattributed refusal: never in this user's history.
    await api.caller().auth.login({ code: (await mintLoginCode(api.mock.url, {})).code });
    await attempt(api.caller().auth.login({ code: "1".repeat(32) }));

    const caller = api.caller(logins[2]!.token);
    const firstPage = await caller.auth.history({ limit: 2 });
    expect(firstPage.items).toHaveLength(2);
    expect(firstPage.items[0]).toEqual({
      id: expect.any(String),
      at: expect.any(String),
      result: "success",
      reason: null,
      userAgent: fromPhone.userAgent,
      network: "203.0.113.0/24",
    });
    expect(JSON.stringify(firstPage)).not.toMatch(/203\.0\.113\.1[0-2]/);
    expect(firstPage.nextCursor).toEqual(expect.any(String));
    const secondPage = await caller.auth.history({ limit: 2, cursor: firstPage.nextCursor! });
    expect(secondPage.items).toHaveLength(1);
    expect(secondPage.nextCursor).toBeNull();
    const times = [...firstPage.items, ...secondPage.items].map((item) => item.at);
    expect(times).toEqual([...times].sort().reverse());

    const defaults = await caller.auth.history();
    expect(defaults.items).toHaveLength(3);
    // The first page as tRPC's infiniteQueryOptions asks for it (the sessions page's hook).
    const fromHook = await caller.auth.history({ limit: 2, cursor: null });
    expect(fromHook).toEqual(firstPage);
    // The cursor's own row gone between two pages (the retention purge, say): the next page still
    // follows it, where a cursor naming the row would find nothing and end the list early.
    await api.db.loginAttempt.delete({ where: { id: firstPage.items[1]!.id } });
    expect(await caller.auth.history({ limit: 2, cursor: firstPage.nextCursor! })).toEqual(secondPage);
    // A cursor this server did not write is refused, not read as the end of the list.
    const foreign = await attempt(caller.auth.history({ limit: 2, cursor: firstPage.items[0]!.id }));
    expect(foreign.error?.data.reason).toBe("INVALID_INPUT");
  });

  it("auth.history: bounded input, and only for a signed-in caller", async () => {
    const { token } = await api.caller().auth.login({ code: (await mintLoginCode(api.mock.url, {})).code });
    const tooMany = await attempt(api.caller(token).auth.history({ limit: 51 }));
    expect(tooMany.error?.data).toMatchObject({ reason: "INVALID_INPUT", issues: [{ path: "limit" }] });
    const longCursor = await attempt(api.caller(token).auth.history({ cursor: "x".repeat(65) }));
    expect(longCursor.error?.data.reason).toBe("INVALID_INPUT");
    const anonymous = await attempt(api.caller().auth.history());
    expect(anonymous.error?.data.reason).toBe("NO_TOKEN");
  });

  it("purgeLoginHistory deletes attempts older than the retention, and nothing else", async () => {
    const login = await api.caller().auth.login({ code: (await mintLoginCode(api.mock.url, {})).code });
    const now = new Date();
    await api.db.loginAttempt.create({
      data: {
        userId: login.user.id,
        appid: api.mock.appid,
        createdAt: new Date(now.getTime() - 91 * 24 * 3600 * 1000),
        result: "success",
      },
    });
    expect(await purgeLoginHistory(api.db, now, 90)).toBe(1);
    expect(await api.db.loginAttempt.count()).toBe(1);
    expect(await purgeLoginHistory(api.db, now, 90)).toBe(0);
  });
});

describe.each(await apiTestEngines())("a login history that cannot be written, on %s", (engine) => {
  let api: ApiHarness;
  beforeAll(async () => {
    api = await startApiHarness({ engine });
    // A real fault: the table is gone, so every insert fails in the database.
    await api.db.$executeRawUnsafe(engine === "mysql" ? "DROP TABLE `LoginAttempt`" : 'DROP TABLE "LoginAttempt"');
  });
  afterAll(async () => api?.close());

  it("does not fail the login, and is logged", async () => {
    const warnings: string[] = [];
    const logger = { info() {}, error() {}, warn: (_fields: object, message: string) => void warnings.push(message) };
    const caller = createCaller(createContextInner({ ...api.deps, logger }, { clientIp: "127.0.0.1" }));
    const { code } = await mintLoginCode(api.mock.url, {});
    const login = await caller.auth.login({ code });
    expect(login.token).toMatch(/^mpa_/);
    expect(warnings).toContain("could not record the login attempt");
  });
});

describe.each(await apiTestEngines())("a flood past the per-address limit, on %s", (engine) => {
  let api: ApiHarness;
  beforeAll(async () => {
    api = await startApiHarness({ engine, loginRateLimitPerIp: 1 });
  });
  afterAll(async () => api?.close());

  it("is recorded once a minute per address, not once per refused request", async () => {
    const flooder = { clientIp: "198.51.100.66" };
    await api.caller(undefined, flooder).auth.login({ code: (await mintLoginCode(api.mock.url, {})).code });
    for (let i = 0; i < 5; i++) {
      const refused = await attempt(api.caller(undefined, flooder).auth.login({ code: "2".repeat(32) }));
      expect(refused.error?.data.reason).toBe("LOGIN_RATE_LIMITED");
    }
    // Another address past its limit gets its own row.
    const other = { clientIp: "198.51.100.67" };
    await api.caller(undefined, other).auth.login({ code: (await mintLoginCode(api.mock.url, {})).code });
    await attempt(api.caller(undefined, other).auth.login({ code: "3".repeat(32) }));
    const rows = await api.db.loginAttempt.findMany({
      select: { clientIp: true, result: true, reason: true },
      orderBy: { createdAt: "asc" },
    });
    expect(rows).toEqual([
      { clientIp: flooder.clientIp, result: "success", reason: null },
      { clientIp: flooder.clientIp, result: "refused", reason: "LOGIN_RATE_LIMITED" },
      { clientIp: other.clientIp, result: "success", reason: null },
      { clientIp: other.clientIp, result: "refused", reason: "LOGIN_RATE_LIMITED" },
    ]);
  });
});
