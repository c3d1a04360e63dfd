import { SESSION_REASONS } from "@mp-auth/contract";
import { createTRPCUntypedClient, TRPCClientError, type Operation, type TRPCLink } from "@trpc/client";
import type { AnyTRPCRouter as AnyRouter } from "@trpc/server";
import { describe, expect, it, vi } from "vitest";
import { isSessionError } from "../src/errors.ts";
import { reloginLink, type SessionLostEvent } from "../src/relogin-link.ts";
import { retryLink, type RetryLinkOptions } from "../src/retry-link.ts";
import { createSessionManager, DEFAULT_STORAGE_KEY } from "../src/session.ts";
import { TaroRequestError } from "../src/taro-request-error.ts";
import { createFakeEndingLink, type EndingCall } from "./support/fake-ending-link.ts";
import { FakeTaro } from "./support/fake-taro.ts";
import { apiError, foreignServerError, serverErrors } from "./support/server-errors.ts";

/**
 * The client's chain as createMiniappClient builds it: retryLink -> reloginLink -> transport (here
 * a fake ending link the test answers). `link` is the two session links as one, for tests that
 * drive an operation by hand.
 */

const inOneHour = () => new Date(Date.now() + 3_600_000).toISOString();

interface SetupOptions {
  reloginReasons?: readonly string[];
  /** Answer calls by hand instead of by the valid-token rule. */
  manualAnswers?: boolean;
  /** Tokens issued by login are refused too (to make the retry fail). */
  loginIssuesDeadTokens?: boolean;
  /** The session manager's clock. */
  now?: () => number;
  /** auth.login answers these errors, one per call, before it succeeds. */
  loginErrors?: Error[];
  /** The retry options; by default waits are recorded in `delays` and not slept. */
  retry?: RetryLinkOptions["retry"];
  retryMutations?: boolean;
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

function setup(options: SetupOptions = {}) {
  const taro = new FakeTaro();
  const validTokens = new Set<string>();
  const counts = { codeRequests: 0, loginCalls: 0 };
  let issued = 0;
  // When set, login waits for this gate: lets a test act while a relogin is in flight.
  let loginGate: Promise<void> | null = null;
  let codeFailure: Error | null = null;
  const delays: number[] = [];
  const retry = options.retry ?? { sleep: async (ms: number) => void delays.push(ms) };
  const onBlocked = vi.fn<(error: unknown) => void>();

  const session = createSessionManager({
    taro,
    retry,
    onBlocked,
    ...(options.now ? { now: options.now } : {}),
    codeSource: async () => {
      counts.codeRequests++;
      if (codeFailure) throw codeFailure;
      return `code-${counts.codeRequests}`;
    },
    exchangeCode: async () => {
      counts.loginCalls++;
      if (loginGate) await loginGate;
      const loginError = options.loginErrors?.shift();
      if (loginError) throw loginError;
      const token = `token-${++issued}`;
      if (!options.loginIssuesDeadTokens) validTokens.add(token);
      return { token, expiresAt: inOneHour(), user: { id: "u1", nickname: null, avatarUrl: null } };
    },
  });

  const answerByToken = (call: EndingCall) => {
    setTimeout(() => {
      if (call.token !== null && validTokens.has(call.token)) call.succeed({ path: call.op.path, token: call.token });
      else call.fail(call.token === null ? serverErrors.noToken() : serverErrors.expired());
    }, 1);
  };
  const ending = createFakeEndingLink({
    headers: (opList: Operation[]) => session.authorizationHeaders(opList),
    ...(options.manualAnswers ? {} : { answer: answerByToken }),
  });
  const lostEvents: SessionLostEvent[] = [];
  const onSessionLost = vi.fn((event: SessionLostEvent) => {
    lostEvents.push(event);
  });
  const retrying = retryLink<AnyRouter>({ retry, ...(options.retryMutations ? { retryMutations: true } : {}) });
  const relogin = reloginLink<AnyRouter>({
    session,
    onSessionLost,
    ...(options.reloginReasons ? { reloginReasons: options.reloginReasons } : {}),
  });
  const client = createTRPCUntypedClient<AnyRouter>({ links: [retrying, relogin, ending.link] });
  // Both session links as one operation link, for tests that subscribe to an operation by hand.
  const link: TRPCLink<AnyRouter> = (runtime) => {
    const outer = retrying(runtime);
    const inner = relogin(runtime);
    return ({ op, next }) => outer({ op, next: (nextOp) => inner({ op: nextOp, next }) });
  };

  return {
    taro,
    session,
    validTokens,
    counts,
    ending,
    client,
    link,
    onSessionLost,
    onBlocked,
    lostEvents,
    delays,
    store(token: string) {
      taro.setStorageSync(DEFAULT_STORAGE_KEY, { token, expiresAt: inOneHour() });
    },
    gateLogins() {
      const gate = deferred<void>();
      loginGate = gate.promise;
      return () => {
        loginGate = null;
        gate.resolve();
      };
    },
    failCodes(error: Error | null) {
      codeFailure = error;
    },
  };
}

const tick = (ms = 5) => new Promise((resolve) => setTimeout(resolve, ms));

describe("relogin link", () => {
  it("50 concurrent calls on an expired session: 1 code, 1 auth.login, 50 retries, all succeed", async () => {
    const t = setup();
    t.store("token-old");

    const results = await Promise.all(Array.from({ length: 50 }, () => t.client.query("user.me")));

    expect(t.counts).toEqual({ codeRequests: 1, loginCalls: 1 });
    expect(t.ending.calls).toHaveLength(100);
    const firstSends = t.ending.calls.slice(0, 50);
    const retries = t.ending.calls.slice(50);
    expect(firstSends.every((call) => call.token === "token-old")).toBe(true);
    expect(retries.every((call) => call.token === "token-1")).toBe(true);
    // Every call was retried exactly once, with the same operation id.
    expect(new Set(retries.map((call) => call.op.id)).size).toBe(50);
    expect(results.every((result) => (result as { token: string }).token === "token-1")).toBe(true);
    expect(t.session.getToken()).toBe("token-1");
    expect(t.onSessionLost).not.toHaveBeenCalled();
  });

  it("a call without any stored token logs in on NO_TOKEN and retries", async () => {
    const t = setup();
    await expect(t.client.query("user.me")).resolves.toMatchObject({ token: "token-1" });
    expect(t.ending.calls.map((call) => call.token)).toEqual([null, "token-1"]);
    expect(t.counts).toEqual({ codeRequests: 1, loginCalls: 1 });
  });

  it("a second refusal gives up: the error surfaces and onSessionLost fires once for all calls", async () => {
    const t = setup({ loginIssuesDeadTokens: true });
    t.store("token-old");

    const outcomes = await Promise.allSettled(Array.from({ length: 50 }, () => t.client.query("user.me")));

    expect(outcomes.every((outcome) => outcome.status === "rejected")).toBe(true);
    const error: unknown = (outcomes[0] as PromiseRejectedResult).reason;
    expect(error).toBeInstanceOf(TRPCClientError);
    expect(error).toMatchObject({ data: { code: "UNAUTHORIZED", reason: "EXPIRED" } });
    expect(t.counts).toEqual({ codeRequests: 1, loginCalls: 1 });
    // Each call sent twice, never three times.
    expect(t.ending.calls).toHaveLength(100);
    expect(t.onSessionLost).toHaveBeenCalledTimes(1);
    expect(t.lostEvents[0]).toMatchObject({ reason: "retry-rejected", path: "user.me" });
    // The refused new token is cleared, since it is still the stored one.
    expect(t.session.getToken()).toBeNull();
  });

  it("a failed relogin fails the waiting calls with their own error and reports relogin-failed", async () => {
    const t = setup();
    t.store("token-old");
    t.failCodes(new Error("Taro.login failed: network"));

    const outcomes = await Promise.allSettled([t.client.query("user.me"), t.client.query("user.me")]);

    for (const outcome of outcomes) {
      expect(outcome).toMatchObject({ status: "rejected", reason: { data: { code: "UNAUTHORIZED" } } });
    }
    // The second refusal came after the failed login: the cooldown spared a second Taro.login.
    expect(t.counts).toEqual({ codeRequests: 1, loginCalls: 0 });
    expect(t.ending.calls).toHaveLength(2);
    expect(t.onSessionLost).toHaveBeenCalledTimes(1);
    expect(t.lostEvents[0]?.reason).toBe("relogin-failed");
    expect((t.lostEvents[0]?.error as Error).message).toContain("Taro.login failed");
  });

  it("after the relogin cooldown, a refused call tries to log in again", async () => {
    let clock = 1_000_000;
    const t = setup({ now: () => clock });
    t.store("token-old");
    t.failCodes(new Error("offline"));
    await expect(t.client.query("user.me")).rejects.toThrow();
    await expect(t.client.query("user.me")).rejects.toThrow();
    expect(t.counts.codeRequests).toBe(1);

    clock += 2_001;
    t.failCodes(null);
    await expect(t.client.query("user.me")).resolves.toMatchObject({ token: "token-1" });
    expect(t.counts).toEqual({ codeRequests: 2, loginCalls: 1 });
  });

  it("a call aborted while it waits for the relogin is not resent", async () => {
    const t = setup();
    t.store("token-old");
    const openGate = t.gateLogins();
    const controller = new AbortController();

    const aborted = t.client.query("user.me", undefined, { signal: controller.signal });
    const kept = t.client.query("user.me");
    await vi.waitFor(() => expect(t.counts.loginCalls).toBe(1));
    controller.abort();

    await expect(aborted).rejects.toThrow(/Aborted while waiting/);
    openGate();
    await expect(kept).resolves.toMatchObject({ token: "token-1" });
    await tick();
    const retries = t.ending.calls.filter((call) => call.token === "token-1");
    expect(retries).toHaveLength(1);
    expect(t.ending.calls).toHaveLength(3);
  });

  it("an observer that unsubscribes while waiting for the relogin is not resent", async () => {
    const t = setup();
    t.store("token-old");
    const openGate = t.gateLogins();
    const operationLink = t.link({});
    const endingOperation = t.ending.link({});
    const op: Operation = { id: 1, type: "query", path: "user.me", input: undefined, context: {}, signal: null };
    const observer = { next: vi.fn(), error: vi.fn(), complete: vi.fn() };

    const subscription = operationLink({
      op,
      next: (nextOp) =>
        endingOperation({
          op: nextOp,
          next: () => {
            throw new Error("end of chain");
          },
        }),
    }).subscribe(observer);
    await vi.waitFor(() => expect(t.counts.loginCalls).toBe(1));
    subscription.unsubscribe();
    openGate();
    await tick(20);

    expect(t.ending.calls).toHaveLength(1);
    expect(observer.next).not.toHaveBeenCalled();
    expect(observer.error).not.toHaveBeenCalled();
    expect(t.session.getToken()).toBe("token-1");
  });

  it("a call aborted while its request was out (its batch still live) is neither relogged in nor resent", async () => {
    const t = setup({ manualAnswers: true });
    t.store("token-old");
    const controller = new AbortController();
    const call = t.client.query("user.me", undefined, { signal: controller.signal });
    await vi.waitFor(() => expect(t.ending.calls).toHaveLength(1), { interval: 1 });
    controller.abort(); // the fake ending link, like a shared batch, keeps the request going
    t.ending.calls[0]!.fail(serverErrors.expired());

    await expect(call).rejects.toThrow(/Aborted/);
    await tick();
    expect(t.ending.calls).toHaveLength(1);
    expect(t.counts).toEqual({ codeRequests: 0, loginCalls: 0 });
  });

  it("an onSessionLost callback that throws does not keep the call from failing", async () => {
    const t = setup({ loginIssuesDeadTokens: true });
    t.onSessionLost.mockImplementation(() => {
      throw new Error("app bug");
    });
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    process.on("uncaughtException", onUncaught);
    try {
      await expect(t.client.query("user.me")).rejects.toMatchObject({ data: { code: "UNAUTHORIZED" } });
      await tick();
      expect(uncaught).toEqual([new Error("app bug")]);
    } finally {
      process.off("uncaughtException", onUncaught);
    }
  });

  it("compare-and-clear: a late refusal of an old token neither wipes the new session nor logs in again", async () => {
    const t = setup({ manualAnswers: true });
    t.store("token-old");

    const late = t.client.query("user.me");
    await vi.waitFor(() => expect(t.ending.calls).toHaveLength(1));
    expect(t.ending.calls[0]!.token).toBe("token-old");

    // Meanwhile another part of the app logged in: token-1 is stored.
    await t.session.login();
    expect(t.session.getToken()).toBe("token-1");

    t.ending.calls[0]!.fail(serverErrors.revoked());
    await vi.waitFor(() => expect(t.ending.calls).toHaveLength(2));
    expect(t.session.getToken()).toBe("token-1");
    // Retried at once with the newer token, without a new code or login.
    expect(t.ending.calls[1]!.token).toBe("token-1");
    expect(t.counts).toEqual({ codeRequests: 1, loginCalls: 1 });
    t.ending.calls[1]!.succeed("fresh");
    await expect(late).resolves.toBe("fresh");
  });

  it("the first refusal clears the refused token before logging in (compare-and-clear)", async () => {
    const t = setup();
    t.store("token-old");
    const openGate = t.gateLogins();

    const call = t.client.query("user.me");
    await vi.waitFor(() => expect(t.counts.loginCalls).toBe(1));
    expect(t.session.getToken()).toBeNull();
    openGate();
    await expect(call).resolves.toMatchObject({ token: "token-1" });
  });

  it("calls made while a login is in flight wait for it instead of going out without a token", async () => {
    const t = setup();
    const openGate = t.gateLogins();
    const launch = t.session.login();

    const call = t.client.query("user.me");
    await tick(10);
    expect(t.ending.calls).toHaveLength(0);
    openGate();
    await launch;
    await expect(call).resolves.toMatchObject({ token: "token-1" });
    expect(t.ending.calls.map((sent) => sent.token)).toEqual(["token-1"]);
    expect(t.counts.codeRequests).toBe(1);
  });

  it("passes non-session errors through untouched, without any login", async () => {
    const t = setup({ manualAnswers: true, retry: { retries: 0 } });
    t.store("token-1");
    const errors = [
      foreignServerError("UNAUTHORIZED"), // no reason: not a session refusal this link understands
      foreignServerError("UNAUTHORIZED", { reason: "SOMETHING_ELSE" }), // not in the relogin reasons, no action
      foreignServerError("UNAUTHORIZED", { reason: "SOMETHING_ELSE", action: "show" }),
      foreignServerError("FORBIDDEN", { reason: "NOT_OWNER" }),
      foreignServerError("FORBIDDEN", { reason: "EXPIRED", action: "relogin" }), // relogin needs UNAUTHORIZED
      serverErrors.invalidInput(),
      serverErrors.notFound(),
      apiError("WX_RATE_LIMITED", { retryAfterSeconds: 60 }),
      serverErrors.wxBusy(), // retry, but retries are off here
      serverErrors.blocked(),
      serverErrors.codeUsed(), // relogin, but not UNAUTHORIZED: only auth.login gets a new code
    ];
    for (const [index, error] of errors.entries()) {
      const call = t.client.query("user.me");
      await vi.waitFor(() => expect(t.ending.calls).toHaveLength(index + 1));
      t.ending.calls[index]!.fail(error);
      await expect(call).rejects.toBe(error);
    }
    expect(t.ending.calls).toHaveLength(errors.length);
    expect(t.counts).toEqual({ codeRequests: 0, loginCalls: 0 });
    expect(t.session.getToken()).toBe("token-1");
    expect(t.onSessionLost).not.toHaveBeenCalled();
  });

  it("relogin reasons are configurable", async () => {
    const t = setup({ manualAnswers: true, reloginReasons: ["EXPIRED", "SESSION_KEY_STALE"] });
    t.store("token-old");
    const call = t.client.query("user.me");
    await vi.waitFor(() => expect(t.ending.calls).toHaveLength(1));
    t.ending.calls[0]!.fail(foreignServerError("UNAUTHORIZED", { reason: "SESSION_KEY_STALE" }));
    await vi.waitFor(() => expect(t.ending.calls).toHaveLength(2));
    expect(t.ending.calls[1]!.token).toBe("token-1");
    t.ending.calls[1]!.succeed("ok");
    await expect(call).resolves.toBe("ok");
    expect(t.counts).toEqual({ codeRequests: 1, loginCalls: 1 });
  });

  it("auth.login never goes through relogin and carries no token", async () => {
    const t = setup({ manualAnswers: true });
    t.store("token-old");
    const call = t.client.mutation("auth.login", { code: "x" });
    await vi.waitFor(() => expect(t.ending.calls).toHaveLength(1));
    expect(t.ending.calls[0]!.headers).toEqual({});
    const refusal = serverErrors.expired();
    t.ending.calls[0]!.fail(refusal);
    await expect(call).rejects.toBe(refusal);
    await tick();
    expect(t.ending.calls).toHaveLength(1);
    expect(t.counts).toEqual({ codeRequests: 0, loginCalls: 0 });
    expect(t.session.getToken()).toBe("token-old");
  });

  it("mutations are retried after a relogin like queries", async () => {
    const t = setup();
    t.store("token-old");
    await expect(t.client.mutation("user.rename", { nickname: "A" })).resolves.toMatchObject({ token: "token-1" });
    expect(t.ending.calls.map((call) => [call.op.type, call.op.input])).toEqual([
      ["mutation", { nickname: "A" }],
      ["mutation", { nickname: "A" }],
    ]);
  });
});

describe("isSessionError", () => {
  it("recognises only UNAUTHORIZED with a relogin reason (the contract's SESSION_REASONS by default)", () => {
    const reason = (code: Parameters<typeof foreignServerError>[0], value?: string) =>
      foreignServerError(code, value === undefined ? {} : { reason: value });
    expect(isSessionError(reason("UNAUTHORIZED", "EXPIRED"), SESSION_REASONS)).toBe(true);
    expect(isSessionError(reason("UNAUTHORIZED", "REVOKED"), SESSION_REASONS)).toBe(true);
    expect(isSessionError(reason("UNAUTHORIZED"), SESSION_REASONS)).toBe(false);
    expect(isSessionError(reason("FORBIDDEN", "EXPIRED"), SESSION_REASONS)).toBe(false);
    expect(isSessionError(new Error("UNAUTHORIZED"), SESSION_REASONS)).toBe(false);
    expect(isSessionError(null, SESSION_REASONS)).toBe(false);
    expect(isSessionError(reason("UNAUTHORIZED", "SESSION_KEY_STALE"), SESSION_REASONS)).toBe(true);
    expect(isSessionError(reason("UNAUTHORIZED", "OTHER"), ["OTHER"])).toBe(true);
    expect(isSessionError(reason("UNAUTHORIZED", "SESSION_KEY_STALE"), ["EXPIRED"])).toBe(false);
  });

  it("or an UNAUTHORIZED whose data.action is relogin, whatever its reason", () => {
    const newReason = foreignServerError("UNAUTHORIZED", { reason: "NEW_REASON", action: "relogin" });
    expect(isSessionError(newReason, SESSION_REASONS)).toBe(true);
    expect(isSessionError(newReason, [])).toBe(true);
    // Every session refusal of the real server, by its action alone.
    for (const refusal of [serverErrors.noToken(), serverErrors.expired(), serverErrors.sessionKeyStale()]) {
      expect(isSessionError(refusal, [])).toBe(true);
    }
    expect(isSessionError(serverErrors.codeUsed(), SESSION_REASONS)).toBe(false);
  });
});

describe("retry and relogin links and the server taxonomy", () => {
  it("SESSION_KEY_STALE (a default relogin reason) triggers one relogin and one retry", async () => {
    const t = setup({ manualAnswers: true });
    t.store("token-old");
    const call = t.client.query("user.phone");
    await vi.waitFor(() => expect(t.ending.calls).toHaveLength(1));
    t.ending.calls[0]!.fail(serverErrors.sessionKeyStale());
    await vi.waitFor(() => expect(t.ending.calls).toHaveLength(2));
    expect(t.ending.calls[1]!.token).toBe("token-1");
    t.ending.calls[1]!.succeed("phone");
    await expect(call).resolves.toBe("phone");
    expect(t.counts).toEqual({ codeRequests: 1, loginCalls: 1 });
    expect(t.onSessionLost).not.toHaveBeenCalled();
  });

  it("a second SESSION_KEY_STALE gives up: the error surfaces and onSessionLost fires once", async () => {
    const t = setup({ manualAnswers: true });
    t.store("token-old");
    const call = t.client.query("user.phone");
    await vi.waitFor(() => expect(t.ending.calls).toHaveLength(1));
    t.ending.calls[0]!.fail(serverErrors.sessionKeyStale());
    await vi.waitFor(() => expect(t.ending.calls).toHaveLength(2));
    const second = serverErrors.sessionKeyStale();
    t.ending.calls[1]!.fail(second);
    await expect(call).rejects.toBe(second);
    await tick();
    expect(t.ending.calls).toHaveLength(2);
    expect(t.counts).toEqual({ codeRequests: 1, loginCalls: 1 });
    expect(t.onSessionLost).toHaveBeenCalledTimes(1);
    expect(t.lostEvents[0]).toMatchObject({ reason: "retry-rejected", path: "user.phone", error: second });
    expect(t.session.getToken()).toBeNull();
  });

  it("an UNAUTHORIZED with action relogin and a reason the link does not know relogs in too", async () => {
    const t = setup({ manualAnswers: true });
    t.store("token-old");
    const call = t.client.query("user.me");
    await vi.waitFor(() => expect(t.ending.calls).toHaveLength(1));
    t.ending.calls[0]!.fail(foreignServerError("UNAUTHORIZED", { reason: "SOME_NEW_REASON", action: "relogin" }));
    await vi.waitFor(() => expect(t.ending.calls).toHaveLength(2));
    t.ending.calls[1]!.succeed("ok");
    await expect(call).resolves.toBe("ok");
    expect(t.counts.loginCalls).toBe(1);
  });

  it("a query failing with WX_BUSY is retried after 500 ms, then succeeds", async () => {
    const t = setup({ manualAnswers: true });
    t.store("token-1");
    const call = t.client.query("user.me");
    await vi.waitFor(() => expect(t.ending.calls).toHaveLength(1));
    t.ending.calls[0]!.fail(serverErrors.wxBusy());
    await vi.waitFor(() => expect(t.ending.calls).toHaveLength(2));
    t.ending.calls[1]!.succeed("me");
    await expect(call).resolves.toBe("me");
    expect(t.delays).toEqual([500]);
    expect(t.ending.calls[1]!.op.id).toBe(t.ending.calls[0]!.op.id);
    expect(t.counts).toEqual({ codeRequests: 0, loginCalls: 0 });
  });

  it("a query is retried at most twice (500 ms, 1500 ms), then fails with the last error", async () => {
    const t = setup({ manualAnswers: true });
    t.store("token-1");
    const call = t.client.query("user.me");
    const last = serverErrors.internal();
    for (const [index, error] of [serverErrors.wxBusy(), serverErrors.wxBusy(), last].entries()) {
      await vi.waitFor(() => expect(t.ending.calls).toHaveLength(index + 1));
      t.ending.calls[index]!.fail(error);
    }
    await expect(call).rejects.toBe(last);
    await tick();
    expect(t.ending.calls).toHaveLength(3);
    expect(t.delays).toEqual([500, 1500]);
  });

  it("a query whose request failed on the network or timed out is retried", async () => {
    const t = setup({ manualAnswers: true });
    t.store("token-1");
    const call = t.client.query("user.me");
    await vi.waitFor(() => expect(t.ending.calls).toHaveLength(1));
    t.ending.calls[0]!.fail(TRPCClientError.from(new TaroRequestError("timeout", "Timed out after 20000 ms")));
    await vi.waitFor(() => expect(t.ending.calls).toHaveLength(2));
    t.ending.calls[1]!.fail(TRPCClientError.from(new TaroRequestError("network", "Request failed (request:fail)")));
    await vi.waitFor(() => expect(t.ending.calls).toHaveLength(3));
    t.ending.calls[2]!.succeed("me");
    await expect(call).resolves.toBe("me");
  });

  it("a mutation failing with WX_BUSY is NOT retried by default", async () => {
    const t = setup({ manualAnswers: true });
    t.store("token-1");
    const call = t.client.mutation("user.updateProfile", { nickname: "A" });
    await vi.waitFor(() => expect(t.ending.calls).toHaveLength(1));
    const busy = serverErrors.wxBusy();
    t.ending.calls[0]!.fail(busy);
    await expect(call).rejects.toBe(busy);
    await tick();
    expect(t.ending.calls).toHaveLength(1);
    expect(t.delays).toEqual([]);
  });

  it("with retryMutations: true, a mutation failing with WX_BUSY is retried", async () => {
    const t = setup({ manualAnswers: true, retryMutations: true });
    t.store("token-1");
    const call = t.client.mutation("user.updateProfile", { nickname: "A" });
    await vi.waitFor(() => expect(t.ending.calls).toHaveLength(1));
    t.ending.calls[0]!.fail(serverErrors.wxBusy());
    await vi.waitFor(() => expect(t.ending.calls).toHaveLength(2));
    expect(t.ending.calls[1]!.op.input).toEqual({ nickname: "A" });
    t.ending.calls[1]!.succeed("saved");
    await expect(call).resolves.toBe("saved");
  });

  it("honours retryAfterSeconds, and does not wait when it is above the cap", async () => {
    const t = setup({ manualAnswers: true });
    t.store("token-1");
    const call = t.client.query("user.me");
    await vi.waitFor(() => expect(t.ending.calls).toHaveLength(1));
    t.ending.calls[0]!.fail(serverErrors.rateLimited(2));
    await vi.waitFor(() => expect(t.ending.calls).toHaveLength(2));
    t.ending.calls[1]!.succeed("me");
    await expect(call).resolves.toBe("me");
    expect(t.delays).toEqual([2000]);

    const late = t.client.query("user.me");
    await vi.waitFor(() => expect(t.ending.calls).toHaveLength(3));
    const limited = serverErrors.rateLimited(60);
    t.ending.calls[2]!.fail(limited);
    await expect(late).rejects.toBe(limited);
    expect(t.delays).toEqual([2000]);
    expect(t.ending.calls).toHaveLength(3);
  });

  it("waits for real with the default sleep (fake timers)", async () => {
    vi.useFakeTimers();
    try {
      const t = setup({ manualAnswers: true, retry: {} });
      t.store("token-1");
      const call = t.client.query("user.me");
      await vi.advanceTimersByTimeAsync(0);
      expect(t.ending.calls).toHaveLength(1);
      t.ending.calls[0]!.fail(serverErrors.wxBusy());
      await vi.advanceTimersByTimeAsync(499);
      expect(t.ending.calls).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(1);
      expect(t.ending.calls).toHaveLength(2);
      t.ending.calls[1]!.fail(serverErrors.wxBusy());
      await vi.advanceTimersByTimeAsync(1499);
      expect(t.ending.calls).toHaveLength(2);
      await vi.advanceTimersByTimeAsync(1);
      expect(t.ending.calls).toHaveLength(3);
      t.ending.calls[2]!.succeed("me");
      await expect(call).resolves.toBe("me");
    } finally {
      vi.useRealTimers();
    }
  });

  it("a call unsubscribed during the backoff wait is not resent", async () => {
    const wait = deferred<void>();
    const t = setup({ manualAnswers: true, retry: { sleep: () => wait.promise } });
    t.store("token-1");
    const operationLink = t.link({});
    const endingOperation = t.ending.link({});
    const op: Operation = { id: 1, type: "query", path: "user.me", input: undefined, context: {}, signal: null };
    const observer = { next: vi.fn(), error: vi.fn(), complete: vi.fn() };
    const subscription = operationLink({
      op,
      next: (nextOp) =>
        endingOperation({
          op: nextOp,
          next: () => {
            throw new Error("end of chain");
          },
        }),
    }).subscribe(observer);
    expect(t.ending.calls).toHaveLength(1);
    t.ending.calls[0]!.fail(serverErrors.wxBusy());
    subscription.unsubscribe();
    wait.resolve();
    await tick(20);

    expect(t.ending.calls).toHaveLength(1);
    expect(observer.next).not.toHaveBeenCalled();
    expect(observer.error).not.toHaveBeenCalled();
  });

  it("a call aborted during the backoff wait fails at once and is not resent", async () => {
    const wait = deferred<void>();
    const t = setup({ manualAnswers: true, retry: { sleep: () => wait.promise } });
    t.store("token-1");
    const controller = new AbortController();
    const call = t.client.query("user.me", undefined, { signal: controller.signal });
    await vi.waitFor(() => expect(t.ending.calls).toHaveLength(1));
    t.ending.calls[0]!.fail(serverErrors.wxBusy());
    await tick();
    controller.abort();
    await expect(call).rejects.toThrow(/Aborted while waiting/);
    wait.resolve();
    await tick();
    expect(t.ending.calls).toHaveLength(1);
  });

  it("retries and relogin combine: WX_BUSY, then EXPIRED, then success", async () => {
    const t = setup({ manualAnswers: true });
    t.store("token-old");
    const call = t.client.query("user.me");
    await vi.waitFor(() => expect(t.ending.calls).toHaveLength(1));
    t.ending.calls[0]!.fail(serverErrors.wxBusy());
    await vi.waitFor(() => expect(t.ending.calls).toHaveLength(2));
    t.ending.calls[1]!.fail(serverErrors.expired());
    await vi.waitFor(() => expect(t.ending.calls).toHaveLength(3));
    expect(t.ending.calls[2]!.token).toBe("token-1");
    t.ending.calls[2]!.succeed("me");
    await expect(call).resolves.toBe("me");
  });

  it("a relogin answered with block: the calls fail with the block error, onBlocked fires once, onSessionLost not", async () => {
    const blocked = serverErrors.blocked();
    const t = setup({ loginErrors: [blocked] });
    t.store("token-old");

    const first = await Promise.allSettled([t.client.query("user.me"), t.client.query("user.me")]);
    for (const outcome of first) expect(outcome).toMatchObject({ status: "rejected", reason: blocked });
    expect(t.onBlocked).toHaveBeenCalledTimes(1);
    expect(t.onSessionLost).not.toHaveBeenCalled();

    // 10 later calls: each is refused (NO_TOKEN) once by the server, and fails without any login.
    const later = await Promise.allSettled(Array.from({ length: 10 }, () => t.client.query("user.me")));
    for (const outcome of later) expect(outcome).toMatchObject({ status: "rejected", reason: blocked });
    expect(t.counts).toEqual({ codeRequests: 1, loginCalls: 1 });
    expect(t.ending.calls).toHaveLength(12);
    expect(t.onBlocked).toHaveBeenCalledTimes(1);

    // The user taps "try again": an explicit login clears the state.
    await t.session.login();
    await expect(t.client.query("user.me")).resolves.toMatchObject({ token: "token-1" });
    expect(t.counts).toEqual({ codeRequests: 2, loginCalls: 2 });
  });
});
