import { TRPCClientError } from "@trpc/client";
import { describe, expect, it, vi } from "vitest";
import { taroLoginCodeSource } from "../src/code-source.ts";
import { createSessionManager, DEFAULT_STORAGE_KEY, type SessionManagerOptions } from "../src/session.ts";
import { TaroRequestError } from "../src/taro-request-error.ts";
import { serverErrors } from "./support/server-errors.ts";
import { FakeTaro } from "./support/fake-taro.ts";

const NOW = Date.parse("2030-01-01T00:00:00.000Z");
const at = (offsetMs: number) => new Date(NOW + offsetMs).toISOString();

function setup(overrides: Partial<SessionManagerOptions> = {}, taro = new FakeTaro()) {
  const counts = { exchanges: 0, revokes: 0 };
  const session = createSessionManager({
    taro,
    codeSource: taroLoginCodeSource(taro),
    exchangeCode: async (code) => {
      counts.exchanges++;
      return { token: `token-for-${code}`, expiresAt: at(3_600_000), user: { id: "u1" } };
    },
    revokeSession: async () => {
      counts.revokes++;
    },
    now: () => NOW,
    ...overrides,
  });
  return { taro, session, counts };
}

describe("ensureSession", () => {
  it("reuses a stored unexpired token when checkSession succeeds, with zero requests", async () => {
    const { taro, session, counts } = setup();
    taro.setStorageSync(DEFAULT_STORAGE_KEY, { token: "kept", expiresAt: at(3_600_000) });

    await expect(session.ensureSession()).resolves.toEqual({ token: "kept", expiresAt: at(3_600_000) });
    expect(taro.checkSessionCalls).toBe(1);
    expect(taro.loginCalls).toBe(0);
    expect(taro.requests).toHaveLength(0);
    expect(counts.exchanges).toBe(0);
  });

  it("logs in when the stored token has expired", async () => {
    const { taro, session, counts } = setup();
    taro.setStorageSync(DEFAULT_STORAGE_KEY, { token: "old", expiresAt: at(-1) });
    await expect(session.ensureSession()).resolves.toMatchObject({ token: "token-for-code-1" });
    expect(taro.loginCalls).toBe(1);
    expect(counts.exchanges).toBe(1);
    expect(taro.storage.get(DEFAULT_STORAGE_KEY)).toEqual({ token: "token-for-code-1", expiresAt: at(3_600_000) });
  });

  it("logs in when the token expires within the safety margin", async () => {
    const { taro, session } = setup({ expiryMarginMs: 60_000 });
    taro.setStorageSync(DEFAULT_STORAGE_KEY, { token: "nearly", expiresAt: at(59_000) });
    await expect(session.ensureSession()).resolves.toMatchObject({ token: "token-for-code-1" });
  });

  it("logs in when checkSession fails (WeChat dropped the session_key)", async () => {
    const { taro, session } = setup();
    taro.setStorageSync(DEFAULT_STORAGE_KEY, { token: "kept", expiresAt: at(3_600_000) });
    taro.checkSessionSucceeds = false;
    await expect(session.ensureSession()).resolves.toMatchObject({ token: "token-for-code-1" });
    expect(taro.checkSessionCalls).toBe(1);
    expect(taro.loginCalls).toBe(1);
  });

  it("logs in when nothing (or garbage) is stored", async () => {
    const { taro, session } = setup();
    taro.setStorageSync(DEFAULT_STORAGE_KEY, "not json");
    await expect(session.ensureSession()).resolves.toMatchObject({ token: "token-for-code-1" });
    expect(taro.checkSessionCalls).toBe(0);
  });

  it("reuses the token without checkSession on platforms that lack it, or when told not to check", async () => {
    const withoutCheck = setup({}, new FakeTaro({ withoutCheckSession: true }));
    withoutCheck.taro.setStorageSync(DEFAULT_STORAGE_KEY, { token: "kept", expiresAt: at(3_600_000) });
    await expect(withoutCheck.session.ensureSession()).resolves.toMatchObject({ token: "kept" });

    const optedOut = setup({ checkSession: false });
    optedOut.taro.setStorageSync(DEFAULT_STORAGE_KEY, { token: "kept", expiresAt: at(3_600_000) });
    optedOut.taro.checkSessionSucceeds = false;
    await expect(optedOut.session.ensureSession()).resolves.toMatchObject({ token: "kept" });
    expect(optedOut.taro.checkSessionCalls).toBe(0);
  });

  it("accepts a session stored as a JSON string", async () => {
    const { taro, session } = setup();
    taro.setStorageSync(DEFAULT_STORAGE_KEY, JSON.stringify({ token: "kept", expiresAt: at(3_600_000) }));
    await expect(session.ensureSession()).resolves.toMatchObject({ token: "kept" });
  });

  it("concurrent ensureSession and login calls share one login", async () => {
    const { taro, session, counts } = setup();
    const results = await Promise.all([
      session.ensureSession(),
      session.ensureSession(),
      session.login(),
      session.login(),
    ]);
    expect(new Set(results.map((result) => result.token))).toEqual(new Set(["token-for-code-1"]));
    expect(taro.loginCalls).toBe(1);
    expect(counts.exchanges).toBe(1);
  });
});

describe("login and storage", () => {
  it("keeps token and expiry under one configurable key", async () => {
    const { taro, session } = setup({ storageKey: "my-app.session" });
    await session.login();
    expect([...taro.storage.keys()]).toEqual(["my-app.session"]);
    expect(session.getSession()).toEqual({ token: "token-for-code-1", expiresAt: at(3_600_000) });
    expect(session.getToken()).toBe("token-for-code-1");
  });

  it("uses a pluggable code source instead of Taro.login", async () => {
    const { taro, session } = setup({ codeSource: async () => "dev-code" });
    await expect(session.login()).resolves.toMatchObject({ token: "token-for-dev-code" });
    expect(taro.loginCalls).toBe(0);
  });

  it("fails clearly when Taro.login gives no code (H5) or fails", async () => {
    const taro = new FakeTaro();
    const { session } = setup({}, taro);
    taro.nextLoginResult = () => ({});
    await expect(session.login()).rejects.toThrow(/gave no code.*codeSource/);
    taro.nextLoginResult = () => new Error("login:fail network");
    await expect(session.login()).rejects.toThrow("Taro.login failed: login:fail network");
    expect(session.getToken()).toBeNull();
  });

  it("rejects a login answer without token and expiry, storing nothing", async () => {
    const { session, taro } = setup({ exchangeCode: async () => ({ user: {} }) });
    await expect(session.login()).rejects.toThrow(/without a token/);
    expect(taro.storage.size).toBe(0);
  });

  it("a failed login can be retried: the in-flight login is released", async () => {
    let fail = true;
    const { session } = setup({
      exchangeCode: async () => {
        if (fail) throw new Error("busy");
        return { token: "t", expiresAt: at(1000_000) };
      },
    });
    await expect(session.login()).rejects.toThrow("busy");
    fail = false;
    await expect(session.login()).resolves.toMatchObject({ token: "t" });
  });

  it("clearIfCurrent clears only the token it is given", async () => {
    const { session } = setup();
    await session.login();
    expect(session.clearIfCurrent("someone-elses")).toBe(false);
    expect(session.getToken()).toBe("token-for-code-1");
    expect(session.clearIfCurrent(null)).toBe(false);
    expect(session.clearIfCurrent("token-for-code-1")).toBe(true);
    expect(session.getToken()).toBeNull();
  });
});

describe("logout", () => {
  it("revokes on the server, then clears storage", async () => {
    const { session, counts } = setup();
    await session.login();
    await expect(session.logout()).resolves.toEqual({ revokedOnServer: true });
    expect(counts.revokes).toBe(1);
    expect(session.getToken()).toBeNull();
  });

  it("clears storage even when the server call fails", async () => {
    const failure = new Error("offline");
    const { session } = setup({
      revokeSession: async () => {
        throw failure;
      },
    });
    await session.login();
    await expect(session.logout()).resolves.toEqual({ revokedOnServer: false, error: failure });
    expect(session.getToken()).toBeNull();
  });

  it("does not call the server without a session", async () => {
    const { session, counts } = setup();
    await expect(session.logout()).resolves.toEqual({ revokedOnServer: false });
    expect(counts.revokes).toBe(0);
  });

  it("a login still in flight at logout does not store its session", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const { session } = setup({
      exchangeCode: async () => {
        await gate;
        return { token: "late", expiresAt: at(3_600_000) };
      },
    });
    const login = session.login();
    await session.logout();
    release();
    await expect(login).rejects.toThrow(/Logged out/);
    expect(session.getToken()).toBeNull();
  });
});

/**
 * A session whose auth.login answers come from `answers`, in order (an Error is thrown, anything
 * else means success), and whose waits are recorded instead of slept.
 */
function loginSetup(answers: unknown[], overrides: Partial<SessionManagerOptions> = {}) {
  const taro = new FakeTaro();
  const exchanged: string[] = [];
  const delays: number[] = [];
  const onBlocked = vi.fn<(error: unknown) => void>();
  const session = createSessionManager({
    taro,
    codeSource: taroLoginCodeSource(taro),
    exchangeCode: async (code) => {
      exchanged.push(code);
      const answer = answers.shift();
      if (answer instanceof Error) throw answer;
      return { token: `token-for-${code}`, expiresAt: at(3_600_000) };
    },
    retry: {
      sleep: async (ms) => {
        delays.push(ms);
      },
    },
    onBlocked,
    now: () => NOW,
    ...overrides,
  });
  return { taro, session, exchanged, delays, onBlocked };
}

describe("login robustness (the server taxonomy)", () => {
  it("WX_BUSY then success: 1 code, 2 auth.login calls with the SAME code, after a 500 ms wait", async () => {
    const { taro, session, exchanged, delays } = loginSetup([serverErrors.wxBusy()]);
    await expect(session.login()).resolves.toMatchObject({ token: "token-for-code-1" });
    expect(taro.loginCalls).toBe(1);
    expect(exchanged).toEqual(["code-1", "code-1"]);
    expect(delays).toEqual([500]);
    expect(session.getToken()).toBe("token-for-code-1");
  });

  it("backs off exponentially and gives up after 2 retries with the last error", async () => {
    const last = serverErrors.internal();
    const { taro, session, exchanged, delays } = loginSetup([serverErrors.wxBusy(), serverErrors.wxBusy(), last]);
    await expect(session.login()).rejects.toBe(last);
    expect(exchanged).toEqual(["code-1", "code-1", "code-1"]);
    expect(delays).toEqual([500, 1500]);
    expect(taro.loginCalls).toBe(1);
    expect(session.getToken()).toBeNull();
  });

  it("retries a network failure or a timeout of auth.login with the same code", async () => {
    const network = TRPCClientError.from(new TaroRequestError("network", "Request failed (request:fail)"));
    const timeout = TRPCClientError.from(new TaroRequestError("timeout", "Timed out after 20000 ms"));
    const { session, exchanged, delays } = loginSetup([network, timeout]);
    await expect(session.login()).resolves.toMatchObject({ token: "token-for-code-1" });
    expect(exchanged).toEqual(["code-1", "code-1", "code-1"]);
    expect(delays).toEqual([500, 1500]);
  });

  it("waits retryAfterSeconds when given, and not at all when it is above the cap", async () => {
    const soon = loginSetup([serverErrors.rateLimited(3)]);
    await expect(soon.session.login()).resolves.toBeTruthy();
    expect(soon.delays).toEqual([3000]);

    const tooLate = serverErrors.rateLimited(60);
    const late = loginSetup([tooLate]);
    await expect(late.session.login()).rejects.toBe(tooLate);
    expect(late.delays).toEqual([]);
    expect(late.exchanged).toHaveLength(1);
  });

  it("the backoff is configurable: retries, base delay and cap", async () => {
    const recorded: number[] = [];
    const { session, exchanged, delays } = loginSetup(
      [serverErrors.wxBusy(), serverErrors.wxBusy(), serverErrors.wxBusy(), serverErrors.rateLimited(4)],
      { retry: { retries: 4, baseDelayMs: 100, maxDelayMs: 600, sleep: async (ms) => void recorded.push(ms) } },
    );
    await expect(session.login()).rejects.toMatchObject({ data: { retryAfterSeconds: 4 } });
    expect(recorded).toEqual([100, 300, 600]);
    expect(delays).toEqual([]);
    expect(exchanged).toHaveLength(4);
  });

  it("WX_CODE_USED: a second code, then success", async () => {
    const { taro, session, exchanged, delays } = loginSetup([serverErrors.codeUsed()]);
    await expect(session.login()).resolves.toMatchObject({ token: "token-for-code-2" });
    expect(taro.loginCalls).toBe(2);
    expect(exchanged).toEqual(["code-1", "code-2"]);
    expect(delays).toEqual([]);
  });

  it("WX_CODE_INVALID twice: only ONE new code, then the error surfaces", async () => {
    const second = serverErrors.codeInvalid();
    const { taro, session, exchanged } = loginSetup([serverErrors.codeInvalid(), second]);
    await expect(session.login()).rejects.toBe(second);
    expect(taro.loginCalls).toBe(2);
    expect(exchanged).toEqual(["code-1", "code-2"]);
  });

  it("a show error (e.g. INVALID_INPUT) is neither retried nor given a new code", async () => {
    const error = serverErrors.invalidInput();
    const { taro, session, exchanged } = loginSetup([error]);
    await expect(session.login()).rejects.toBe(error);
    expect(taro.loginCalls).toBe(1);
    expect(exchanged).toHaveLength(1);
  });

  it("a logout during the backoff wait stops the login", async () => {
    let release!: () => void;
    const { session, exchanged } = loginSetup([serverErrors.wxBusy()], {
      retry: { sleep: () => new Promise<void>((resolve) => (release = resolve)) },
    });
    const login = session.login();
    await vi.waitFor(() => expect(exchanged).toHaveLength(1));
    await session.logout();
    release();
    await expect(login).rejects.toThrow(/Logged out/);
    expect(exchanged).toHaveLength(1);
    expect(session.getToken()).toBeNull();
  });
});

describe("blocked (WX_USER_BLOCKED, action block)", () => {
  it("stores nothing, fires onBlocked once, and refuses every automatic login until login() is called", async () => {
    const blocked = serverErrors.blocked();
    const { taro, session, exchanged, delays, onBlocked } = loginSetup([blocked]);
    taro.setStorageSync(DEFAULT_STORAGE_KEY, { token: "old", expiresAt: at(-1) });

    await expect(session.ensureSession()).rejects.toBe(blocked);
    expect(session.isBlocked()).toBe(true);
    expect(onBlocked).toHaveBeenCalledTimes(1);
    expect(onBlocked).toHaveBeenCalledWith(blocked);
    expect(delays).toEqual([]);
    expect(taro.storage.get(DEFAULT_STORAGE_KEY)).toEqual({ token: "old", expiresAt: at(-1) });

    for (let i = 0; i < 10; i++) {
      await expect(session.ensureSession()).rejects.toBe(blocked);
      await expect(session.relogin("old")).rejects.toBe(blocked);
    }
    expect(taro.loginCalls).toBe(1);
    expect(exchanged).toHaveLength(1);
    expect(onBlocked).toHaveBeenCalledTimes(1);

    // A user action: login() clears the state and tries again.
    await expect(session.login()).resolves.toMatchObject({ token: "token-for-code-2" });
    expect(session.isBlocked()).toBe(false);
    expect(taro.loginCalls).toBe(2);
    expect(onBlocked).toHaveBeenCalledTimes(1);
  });

  it("an explicit login() that is blocked again re-enters the state and reports it again", async () => {
    const { session, onBlocked } = loginSetup([serverErrors.blocked(), serverErrors.blocked()]);
    await expect(session.login()).rejects.toMatchObject({ data: { action: "block" } });
    await expect(session.login()).rejects.toMatchObject({ data: { action: "block" } });
    expect(session.isBlocked()).toBe(true);
    expect(onBlocked).toHaveBeenCalledTimes(2);
  });

  it("a stored usable token is still reused while blocked: no login is needed for it", async () => {
    const { taro, session } = loginSetup([serverErrors.blocked()]);
    await expect(session.login()).rejects.toBeTruthy();
    taro.setStorageSync(DEFAULT_STORAGE_KEY, { token: "kept", expiresAt: at(3_600_000) });
    await expect(session.ensureSession()).resolves.toMatchObject({ token: "kept" });
    expect(taro.loginCalls).toBe(1);
  });

  it("an onBlocked callback that throws does not keep the login from failing with the block error", async () => {
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    process.on("uncaughtException", onUncaught);
    try {
      const { session } = loginSetup([serverErrors.blocked()], {
        onBlocked: () => {
          throw new Error("app bug");
        },
      });
      await expect(session.login()).rejects.toMatchObject({ data: { reason: "WX_USER_BLOCKED" } });
      await new Promise((resolve) => setTimeout(resolve, 5));
      expect(uncaught).toEqual([new Error("app bug")]);
    } finally {
      process.off("uncaughtException", onUncaught);
    }
  });
});
