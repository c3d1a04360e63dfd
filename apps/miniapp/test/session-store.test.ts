import { TaroRequestError } from "@mp-auth/taro-link";
import { describe, expect, it, vi } from "vitest";
import { MissingCodeSourceError } from "../src/auth/code-source";
import { createSessionStore, type SessionStoreDeps } from "../src/state/session-store";

/** What the link rejects with when the server cannot be reached: a TRPCClientError around this. */
function unreachable() {
  return Object.assign(new Error("Request failed"), {
    cause: new TaroRequestError("network", "request:fail connect ECONNREFUSED"),
  });
}

interface User {
  id: string;
}

function setup(overrides: Partial<SessionStoreDeps<User>> = {}) {
  let signedOut = false;
  const deps: SessionStoreDeps<User> = {
    ensureSession: vi.fn(async () => undefined),
    login: vi.fn(async () => undefined),
    hasStoredSession: () => false,
    logout: vi.fn(async () => undefined),
    forgetSession: vi.fn(),
    fetchCurrentUser: vi.fn(async () => ({ id: "u1" })),
    signedOutByUser: { get: () => signedOut, set: (value) => void (signedOut = value) },
    ...overrides,
  };
  const store = createSessionStore(deps);
  return { store, deps, isSignedOut: () => signedOut };
}

describe("session store", () => {
  it("signs in at start and notifies subscribers", async () => {
    const { store, deps } = setup();
    const seen: string[] = [];
    store.subscribe(() => seen.push(store.getState().status));
    await store.start();
    expect(store.getState()).toEqual({ status: "signed-in", user: { id: "u1" } });
    expect(seen).toEqual(["loading", "signed-in"]);
    expect(deps.login).not.toHaveBeenCalled();
  });

  it("shows a retryable error when the server is down, and recovers on retry", async () => {
    const fetchCurrentUser = vi
      .fn<() => Promise<User>>()
      .mockRejectedValueOnce(unreachable())
      .mockResolvedValueOnce({ id: "u1" });
    const { store } = setup({ fetchCurrentUser });
    await store.start();
    expect(store.getState()).toMatchObject({ status: "error", error: { reason: "NETWORK", retryable: true } });
    await store.retry();
    expect(store.getState()).toMatchObject({ status: "signed-in" });
  });

  it("reports a WeChat refusal with its reason; retry is then an explicit login", async () => {
    const { store, deps } = setup({
      // As the link rejects: a TRPCClientError carrying the server's error data.
      ensureSession: async () =>
        Promise.reject(Object.assign(new Error("Blocked"), { data: { reason: "WX_USER_BLOCKED", action: "block" } })),
    });
    await store.start();
    expect(store.getState()).toMatchObject({ status: "error", error: { reason: "WX_USER_BLOCKED" } });
    await store.retry();
    expect(deps.login).toHaveBeenCalledTimes(1);
    expect(store.getState()).toMatchObject({ status: "signed-in" });
  });

  it("retries with the stored token when there is one", async () => {
    const ensureSession = vi
      .fn<() => Promise<unknown>>()
      .mockRejectedValueOnce(unreachable())
      .mockResolvedValue(undefined);
    const { store, deps } = setup({ ensureSession, hasStoredSession: () => true });
    await store.start();
    await store.retry();
    expect(ensureSession).toHaveBeenCalledTimes(2);
    expect(deps.login).not.toHaveBeenCalled();
    expect(store.getState()).toMatchObject({ status: "signed-in" });
  });

  it("stops at a startup problem without calling the server", async () => {
    const { store, deps } = setup({ startupProblem: new MissingCodeSourceError("h5") });
    await store.start();
    expect(store.getState()).toMatchObject({
      status: "error",
      error: { reason: "MISSING_CODE_SOURCE", retryable: false },
    });
    await store.login();
    expect(deps.ensureSession).not.toHaveBeenCalled();
    expect(deps.login).not.toHaveBeenCalled();
  });

  it("logs out, stays signed out across restarts, and logs in again on request", async () => {
    const { store, deps, isSignedOut } = setup();
    await store.start();
    await store.logout();
    expect(store.getState()).toEqual({ status: "signed-out" });
    expect(isSignedOut()).toBe(true);

    await store.start();
    expect(store.getState()).toEqual({ status: "signed-out" });
    expect(deps.ensureSession).toHaveBeenCalledTimes(1);

    await store.login();
    expect(deps.login).toHaveBeenCalledTimes(1);
    expect(isSignedOut()).toBe(false);
    expect(store.getState()).toMatchObject({ status: "signed-in" });
  });

  it("forgets the token locally when the logout call fails", async () => {
    const { store, deps } = setup({ logout: async () => Promise.reject(unreachable()) });
    await store.start();
    await store.logout();
    expect(deps.forgetSession).toHaveBeenCalled();
    expect(store.getState()).toEqual({ status: "signed-out" });
  });

  it("keeps the newest result when operations overlap", async () => {
    let resolveSlow: (user: User) => void = () => {};
    const fetchCurrentUser = vi
      .fn<() => Promise<User>>()
      .mockImplementationOnce(() => new Promise((resolve) => (resolveSlow = resolve)))
      .mockResolvedValue({ id: "u2" });
    const { store } = setup({ fetchCurrentUser });
    const slowStart = store.start();
    await Promise.resolve();
    store.markSignedOut();
    resolveSlow({ id: "u1" });
    await slowStart;
    expect(store.getState()).toEqual({ status: "signed-out" });
  });

  it("shows an updated profile at once and lets no older refresh overwrite it", async () => {
    let resolveRefresh: (user: User) => void = () => {};
    const fetchCurrentUser = vi
      .fn<() => Promise<User>>()
      .mockResolvedValueOnce({ id: "u1" })
      .mockImplementationOnce(() => new Promise((resolve) => (resolveRefresh = resolve)));
    const { store } = setup({ fetchCurrentUser });
    await store.start();
    const refresh = store.refreshUser();
    store.replaceUser({ id: "u1-updated" });
    expect(store.getState()).toEqual({ status: "signed-in", user: { id: "u1-updated" } });
    resolveRefresh({ id: "u1-stale" });
    await refresh;
    expect(store.getState()).toEqual({ status: "signed-in", user: { id: "u1-updated" } });
  });

  it("ignores an updated profile when nobody is signed in", async () => {
    const { store } = setup();
    await store.start();
    store.markSignedOut();
    store.replaceUser({ id: "u1" });
    expect(store.getState()).toEqual({ status: "signed-out" });
  });
});
