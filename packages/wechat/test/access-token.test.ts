import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  createAccessTokenManager,
  createInMemoryAccessTokenStore,
  createWechatClient,
  createWechatServerApi,
  requestCheckSessionKey,
  requestStableAccessToken,
} from "../src/index.ts";
import type { AccessTokenManagerOptions, AccessTokenStore, CachedAccessToken } from "../src/index.ts";
import {
  MOCK_ACCESS_TOKEN_OVERLAP_MS,
  MOCK_ACCESS_TOKEN_TTL_MS,
  clearFaults,
  getMockStats,
  injectFault,
  mintLoginCode,
  mintPhoneCode,
  resetMock,
  startMockWechat,
} from "../src/mock/index.ts";
import type { MockWechat } from "../src/mock/index.ts";
import { PHONE_NUMBER_PATH, STABLE_TOKEN_PATH, expectNoLeak, expectWechatError } from "./helpers.ts";

const SECRET = "token-test-secret-5b1e7d9c3a";
const START = 1_700_000_000_000;
// One clock for the mock and the managers, so "5 minutes before expiry" means the same to both.
let clock = START;
let mock: MockWechat;

beforeAll(async () => {
  mock = await startMockWechat({ secret: SECRET, now: () => clock });
});
afterAll(() => mock.close());
beforeEach(async () => {
  clock = START;
  await resetMock(mock.url);
});

function newManager(options: Partial<AccessTokenManagerOptions> = {}) {
  return createAccessTokenManager({
    appid: mock.appid,
    secret: SECRET,
    baseUrl: mock.url,
    timeoutMs: 2000,
    now: () => clock,
    ...options,
  });
}

async function stableTokenCalls(): Promise<number> {
  return (await getMockStats(mock.url))[STABLE_TOKEN_PATH] ?? 0;
}

/** A user the mock knows, with their current session_key. */
async function loggedInUser() {
  const client = createWechatClient({ appid: mock.appid, secret: SECRET, baseUrl: mock.url });
  const { code } = await mintLoginCode(mock.url);
  return client.code2Session(code);
}

describe("caching and single flight", () => {
  it("20 concurrent getToken on an empty cache make exactly 1 stable_token call", async () => {
    const manager = newManager();
    const tokens = await Promise.all(Array.from({ length: 20 }, () => manager.getToken()));
    expect(new Set(tokens).size).toBe(1);
    expect(await stableTokenCalls()).toBe(1);
  });

  it("20 concurrent server API calls through one client need 1 stable_token call", async () => {
    const client = createWechatClient({
      appid: mock.appid,
      secret: SECRET,
      baseUrl: mock.url,
      accessTokens: { now: () => clock },
    });
    const codes = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        mintPhoneCode(mock.url, { phoneNumber: `138001380${String(index).padStart(2, "0")}` }),
      ),
    );
    const phones = await Promise.all(codes.map(({ code }) => client.getUserPhoneNumber({ code })));
    expect(phones.map((phone) => phone.purePhoneNumber)).toEqual(codes.map((minted) => minted.purePhoneNumber));
    const stats = await getMockStats(mock.url);
    expect([stats[STABLE_TOKEN_PATH], stats[PHONE_NUMBER_PATH]]).toEqual([1, 20]);
  });

  it("reuses the cached token until 5 minutes before expiry, then refreshes once", async () => {
    const manager = newManager();
    const first = await manager.getToken();
    clock += MOCK_ACCESS_TOKEN_TTL_MS - MOCK_ACCESS_TOKEN_OVERLAP_MS - 1;
    expect(await manager.getToken()).toBe(first);
    expect(await stableTokenCalls()).toBe(1);

    clock += 1;
    const second = await manager.getToken();
    // The mock, like WeChat, issues the next token in the last 5 minutes.
    expect(second).not.toBe(first);
    expect(await manager.getToken()).toBe(second);
    expect(await stableTokenCalls()).toBe(2);
  });

  it("a shorter margin keeps the token longer", async () => {
    const manager = newManager({ refreshMarginMs: 60_000 });
    const first = await manager.getToken();
    clock += MOCK_ACCESS_TOKEN_TTL_MS - 61_000;
    expect(await manager.getToken()).toBe(first);
    expect(await stableTokenCalls()).toBe(1);
  });

  it("managers sharing a store with a refresh lock (two instances) make 1 stable_token call in all", async () => {
    const store = withLock(createInMemoryAccessTokenStore());
    const instanceA = newManager({ store });
    const instanceB = newManager({ store });
    const tokens = await Promise.all(
      Array.from({ length: 10 }, (_, index) => (index % 2 === 0 ? instanceA : instanceB).getToken()),
    );
    expect(new Set(tokens).size).toBe(1);
    expect(await stableTokenCalls()).toBe(1);
    expect(store.lockRuns).toBe(2); // each instance refreshed once under the lock; B found A's token
  });
});

describe("withAccessToken: token errors", () => {
  it("a 40001 on the cached token causes exactly one refresh and one retry", async () => {
    const client = createWechatClient({
      appid: mock.appid,
      secret: SECRET,
      baseUrl: mock.url,
      accessTokens: { now: () => clock },
    });
    await client.accessTokens.getToken();
    const minted = await mintPhoneCode(mock.url);
    await injectFault(mock.url, { path: PHONE_NUMBER_PATH, errcode: 40001 });
    expect((await client.getUserPhoneNumber({ code: minted.code })).phoneNumber).toBe(minted.phoneNumber);
    const stats = await getMockStats(mock.url);
    expect([stats[STABLE_TOKEN_PATH], stats[PHONE_NUMBER_PATH]]).toEqual([2, 2]);
  });

  it.each([42001, 40014])("%i is a token error too", async (errcode) => {
    const client = createWechatClient({
      appid: mock.appid,
      secret: SECRET,
      baseUrl: mock.url,
      accessTokens: { now: () => clock },
    });
    const minted = await mintPhoneCode(mock.url);
    await injectFault(mock.url, { path: PHONE_NUMBER_PATH, errcode });
    expect((await client.getUserPhoneNumber({ code: minted.code })).purePhoneNumber).toBe(minted.purePhoneNumber);
    expect(await stableTokenCalls()).toBe(2);
  });

  it("recovers when another instance force-refreshed the token", async () => {
    const manager = newManager();
    const api = createWechatServerApi({ accessTokens: manager, baseUrl: mock.url });
    const user = await loggedInUser();
    const old = await manager.getToken();
    const forced = await requestStableAccessToken({
      baseUrl: mock.url,
      appid: mock.appid,
      secret: SECRET,
      timeoutMs: 2000,
      forceRefresh: true,
    });
    expect(await api.checkSessionKey(user)).toBe(true);
    expect(await manager.getToken()).toBe(forced.accessToken);
    expect(forced.accessToken).not.toBe(old);
    expect(await stableTokenCalls()).toBe(3); // ours, the other instance's force_refresh, our refresh
  });

  it("compare-and-expire: a failure reported with an OLD token does not evict the newer cached token", async () => {
    const manager = newManager();
    const api = createWechatServerApi({ accessTokens: manager, baseUrl: mock.url });
    const user = await loggedInUser();
    const old = await manager.getToken();
    const forced = (
      await requestStableAccessToken({
        baseUrl: mock.url,
        appid: mock.appid,
        secret: SECRET,
        timeoutMs: 2000,
        forceRefresh: true,
      })
    ).accessToken;

    // A slow caller took the old token and is still on its way to WeChat ...
    let releaseSlowCaller!: () => void;
    const slowCallerMayGo = new Promise<void>((resolve) => (releaseSlowCaller = resolve));
    const tokensTheSlowCallerUsed: string[] = [];
    const slowCall = manager.withAccessToken(async (accessToken) => {
      tokensTheSlowCallerUsed.push(accessToken);
      if (tokensTheSlowCallerUsed.length === 1) await slowCallerMayGo;
      return requestCheckSessionKey({
        baseUrl: mock.url,
        timeoutMs: 2000,
        accessToken,
        openid: user.openid,
        sessionKey: user.sessionKey,
      });
    });
    // ... while a fast caller hits 40001 with it and recovers: the fresh token is now cached.
    expect(await api.checkSessionKey(user)).toBe(true);
    expect(await stableTokenCalls()).toBe(3);

    releaseSlowCaller();
    expect(await slowCall).toBe(true);
    expect(tokensTheSlowCallerUsed).toEqual([old, forced]);
    // The slow caller's 40001 on `old` neither evicted `forced` nor asked WeChat again.
    expect(await stableTokenCalls()).toBe(3);
    expect(await manager.getToken()).toBe(forced);
    expect(await manager.expireToken(old)).toBe(false);
    expect(await manager.getToken()).toBe(forced);
    expect(await stableTokenCalls()).toBe(3);
  });

  it("a second token error surfaces, after exactly one refresh", async () => {
    const client = createWechatClient({
      appid: mock.appid,
      secret: SECRET,
      baseUrl: mock.url,
      accessTokens: { now: () => clock },
    });
    const token = await client.accessTokens.getToken();
    const minted = await mintPhoneCode(mock.url);
    await injectFault(mock.url, { path: PHONE_NUMBER_PATH, errcode: 40001, count: 2 });
    const error = await expectWechatError(client.getUserPhoneNumber({ code: minted.code }));
    expect([error.kind, error.errcode, error.retryable]).toEqual(["access_token_invalid", 40001, false]);
    expect(error.message).toContain("WeChat getUserPhoneNumber rejected the access_token");
    expectNoLeak(error, [token, minted.code, SECRET]);
    const stats = await getMockStats(mock.url);
    expect([stats[STABLE_TOKEN_PATH], stats[PHONE_NUMBER_PATH]]).toEqual([2, 2]);
  });

  it("other errors are not retried", async () => {
    const manager = newManager();
    let calls = 0;
    const failure = new Error("not a token problem");
    await expect(
      manager.withAccessToken(async () => {
        calls += 1;
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(calls).toBe(1);
  });
});

describe("stable_token busy (-1) and other failures", () => {
  it("backs off on -1 and then succeeds (default 200 ms, 400 ms)", async () => {
    const manager = newManager();
    await injectFault(mock.url, { path: STABLE_TOKEN_PATH, errcode: -1, count: 2 });
    const startedAt = performance.now();
    await manager.getToken();
    const elapsed = performance.now() - startedAt;
    expect(await stableTokenCalls()).toBe(3);
    expect(elapsed).toBeGreaterThanOrEqual(580);
    expect(elapsed).toBeLessThan(3000);
  });

  it("gives up after bounded attempts with a retryable busy error, never a tight loop", async () => {
    const manager = newManager({ busyBackoffMs: [30, 60] });
    await injectFault(mock.url, { path: STABLE_TOKEN_PATH, errcode: -1, count: 100 });
    const startedAt = performance.now();
    const error = await expectWechatError(manager.getToken());
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(85);
    expect([error.kind, error.errcode, error.retryable]).toEqual(["busy", -1, true]);
    expect(error.message).toMatch(/gave up after 3 attempts/);
    expectNoLeak(error, [SECRET]);
    expect(await stableTokenCalls()).toBe(3);
  });

  it("after a failure, callers share it for the cooldown instead of each asking WeChat", async () => {
    const manager = newManager({ busyBackoffMs: [], failureCooldownMs: 1000 });
    await injectFault(mock.url, { path: STABLE_TOKEN_PATH, errcode: -1, count: 100 });
    const concurrent = await Promise.allSettled(Array.from({ length: 20 }, () => manager.getToken()));
    expect(concurrent.every((result) => result.status === "rejected")).toBe(true);
    expect(await stableTokenCalls()).toBe(1);

    const later = await Promise.allSettled(Array.from({ length: 5 }, () => manager.getToken()));
    expect(
      later.every((result) => result.status === "rejected" && (result.reason as { kind?: string }).kind === "busy"),
    ).toBe(true);
    expect(await stableTokenCalls()).toBe(1);

    await clearFaults(mock.url);
    clock += 1000;
    await manager.getToken();
    expect(await stableTokenCalls()).toBe(2);
  });

  it("inside the margin, a failed refresh still returns the valid cached token and reports the failure", async () => {
    const reported: unknown[] = [];
    const manager = newManager({ busyBackoffMs: [], onRefreshError: (error) => reported.push(error) });
    const token = await manager.getToken();
    clock += MOCK_ACCESS_TOKEN_TTL_MS - 200_000;
    await injectFault(mock.url, { path: STABLE_TOKEN_PATH, errcode: -1 });
    expect(await manager.getToken()).toBe(token);
    expect(reported).toHaveLength(1);
    expect(reported[0]).toMatchObject({ kind: "busy" });
    // Past expiry the old token is useless: a failure then surfaces.
    clock += 200_000;
    await injectFault(mock.url, { path: STABLE_TOKEN_PATH, errcode: -1 });
    expect((await expectWechatError(manager.getToken())).kind).toBe("busy");
  });

  it("a wrong secret is a config error that names neither secret", async () => {
    const wrongSecret = "wrong-secret-000000000000";
    const manager = newManager({ secret: wrongSecret });
    const error = await expectWechatError(manager.getToken());
    expect([error.kind, error.errcode, error.retryable]).toEqual(["config", 40125, false]);
    expectNoLeak(error, [SECRET, wrongSecret]);
  });

  it("45011 surfaces at once as rate_limited, without retries", async () => {
    const manager = newManager();
    await injectFault(mock.url, { path: STABLE_TOKEN_PATH, errcode: 45011, count: 5 });
    const error = await expectWechatError(manager.getToken());
    expect([error.kind, error.retryable]).toEqual(["rate_limited", true]);
    expect(await stableTokenCalls()).toBe(1);
  });

  it("refuses bad configuration at creation", () => {
    expect(() => newManager({ secret: "" })).toThrow(/secret is empty/);
    expect(() => newManager({ refreshMarginMs: -1 })).toThrow(/refreshMarginMs/);
    expect(() => newManager({ refreshMarginMs: 7_200_000 })).toThrow(/refreshMarginMs/);
    expect(() => newManager({ busyBackoffMs: [100, -5] })).toThrow(/busyBackoffMs/);
    expect(() => newManager({ busyBackoffMs: Array.from({ length: 11 }, () => 1) })).toThrow(/at most 10/);
    expect(() => newManager({ baseUrl: "ftp://x" })).toThrow(/http or https/);
  });
});

/** An in-process stand-in for a Redis lock: refreshes run one at a time across managers. */
function withLock(store: AccessTokenStore): AccessTokenStore & { lockRuns: number } {
  let queue: Promise<unknown> = Promise.resolve();
  const locked = {
    lockRuns: 0,
    get: () => store.get(),
    set: (token: CachedAccessToken) => store.set(token),
    compareAndDelete: (accessToken: string) => store.compareAndDelete(accessToken),
    withRefreshLock<T>(refresh: () => Promise<T>): Promise<T> {
      const run = queue.then(() => {
        locked.lockRuns += 1;
        return refresh();
      });
      queue = run.catch(() => undefined);
      return run;
    },
  };
  return locked;
}

describe("one manager per app", () => {
  it("a client handed a manager uses it, and refuses to build a second beside it", async () => {
    const manager = newManager();
    const client = createWechatClient({
      appid: mock.appid,
      secret: SECRET,
      baseUrl: mock.url,
      accessTokenManager: manager,
    });
    expect(client.accessTokens).toBe(manager);
    await manager.getToken();
    const before = await stableTokenCalls();
    const { openid, sessionKey } = await loggedInUser();
    await client.checkSessionKey({ openid, sessionKey });
    expect(await stableTokenCalls()).toBe(before);
    expect(() =>
      createWechatClient({
        appid: mock.appid,
        secret: SECRET,
        baseUrl: mock.url,
        accessTokenManager: manager,
        accessTokens: { refreshMarginMs: 0 },
      }),
    ).toThrow(/not both/);
  });
});
