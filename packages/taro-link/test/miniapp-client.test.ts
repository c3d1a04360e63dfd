import { ApiError } from "@mp-auth/api";
import { createTRPCClient, createTRPCUntypedClient } from "@trpc/client";
import { describe, expect, expectTypeOf, it, vi } from "vitest";
import {
  createMiniappClient,
  createSessionManager,
  DEFAULT_STORAGE_KEY,
  reloginLink,
  retryLink,
  taroLoginCodeSource,
  taroRequestLink,
  type SessionLostEvent,
} from "../src/index.ts";
import { FakeTaro } from "./support/fake-taro.ts";
import { FakeAuthServer } from "./support/fake-trpc-server.ts";
import type { ShapeRouter } from "./support/shape-router.ts";

const URL_BASE = "http://127.0.0.1:3000/trpc";

function setup() {
  const server = new FakeAuthServer();
  const taro = new FakeTaro({ respond: server.respond });
  const onSessionLost = vi.fn<(event: SessionLostEvent) => void>();
  const onBlocked = vi.fn<(error: unknown) => void>();
  const delays: number[] = [];
  const { client, session } = createMiniappClient<ShapeRouter>({
    url: URL_BASE,
    taro,
    onSessionLost,
    onBlocked,
    retry: { sleep: async (ms) => void delays.push(ms) },
  });
  return { server, taro, client, session, onSessionLost, onBlocked, delays };
}

/** Thrown by the fake procedures; the real server's errorFormatter shapes them. */
const busy = () => new ApiError("WX_BUSY");
const blocked = () => new ApiError("WX_USER_BLOCKED");
const codeUsed = () => new ApiError("WX_CODE_USED");

describe("createMiniappClient with a fake Taro", () => {
  it("is typed from the router type", () => {
    const { client } = setup();
    expectTypeOf(client.user.me.query).returns.resolves.toEqualTypeOf<{
      id: string;
      nickname: string | null;
      avatarUrl: string | null;
    }>();
  });

  it("logs in at launch, then sends the token as Authorization: Bearer", async () => {
    const { server, taro, client, session } = setup();
    await session.ensureSession();
    expect(taro.loginCalls).toBe(1);
    expect(server.codesSeen).toEqual(["code-1"]);
    const loginRequest = taro.requests[0]!;
    expect(loginRequest.options.url).toBe(`${URL_BASE}/auth.login?batch=1`);
    expect(Object.keys(loginRequest.options.header)).not.toContain("Authorization");

    await expect(client.user.me.query()).resolves.toMatchObject({ nickname: "Tester" });
    expect(taro.requests[1]!.options.header["Authorization"]).toBe("Bearer token-1");
    expect(taro.storage.get(DEFAULT_STORAGE_KEY)).toMatchObject({ token: "token-1" });
  });

  it("50 concurrent calls on an expired session: batches of 10, 1 code, 1 auth.login", async () => {
    const { server, taro, client, session } = setup();
    taro.setStorageSync(DEFAULT_STORAGE_KEY, {
      token: "expired-token",
      expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
    });

    const results = await Promise.all(Array.from({ length: 50 }, () => client.user.me.query()));

    expect(results).toHaveLength(50);
    // 5 refused batches, auth.login, 5 retried batches: the link's default maxItems is 10, the
    // server's default MAX_BATCH_SIZE.
    expect(taro.requests).toHaveLength(11);
    expect(taro.loginCalls).toBe(1);
    expect(server.loginCalls).toBe(1);
    expect(server.meCalls).toBe(100);
    const batchSizes = taro.requests.map((request) => request.options.url.split("?")[0]!.split(",").length);
    expect(batchSizes).toEqual([10, 10, 10, 10, 10, 1, 10, 10, 10, 10, 10]);
    expect(session.getToken()).toBe("token-1");
  });

  it("gives up after a second refusal and fires onSessionLost once", async () => {
    const { server, taro, client, onSessionLost } = setup();
    server.issueDeadTokens = true;
    const outcomes = await Promise.allSettled(Array.from({ length: 5 }, () => client.user.me.query()));
    expect(outcomes.every((outcome) => outcome.status === "rejected")).toBe(true);
    expect(taro.requests).toHaveLength(3);
    expect(onSessionLost).toHaveBeenCalledTimes(1);
    expect(onSessionLost.mock.calls[0]![0]).toMatchObject({ reason: "retry-rejected", path: "user.me" });
  });

  it("a refused auth.login does not trigger a relogin", async () => {
    const { server, taro, session, onSessionLost } = setup();
    // Action relogin on auth.login itself: the session's own rule gives it ONE new code, no more.
    server.loginFailure = new ApiError("EXPIRED");
    await expect(session.login()).rejects.toMatchObject({ data: { code: "UNAUTHORIZED", reason: "EXPIRED" } });
    expect(taro.requests).toHaveLength(2);
    expect(taro.loginCalls).toBe(2);
    expect(onSessionLost).not.toHaveBeenCalled();
  });

  it("logout calls auth.logout with the token and clears storage; even when it fails", async () => {
    const { server, taro, session } = setup();
    await session.login();
    await expect(session.logout()).resolves.toEqual({ revokedOnServer: true });
    expect(server.logoutCalls).toBe(1);
    expect(taro.requests[1]!.options.header["Authorization"]).toBe("Bearer token-1");
    expect(session.getToken()).toBeNull();

    await session.login();
    server.validTokens.clear();
    const result = await session.logout();
    expect(result.revokedOnServer).toBe(false);
    expect(session.getToken()).toBeNull();
  });

  it("adds the configured extra headers to every request", async () => {
    const server = new FakeAuthServer();
    const taro = new FakeTaro({ respond: server.respond });
    const { session } = createMiniappClient<ShapeRouter>({
      url: URL_BASE,
      taro,
      headers: () => ({ "x-client": "miniapp" }),
      codeSource: async () => "dev-code",
    });
    await session.login();
    expect(taro.requests[0]!.options.header["x-client"]).toBe("miniapp");
    expect(server.codesSeen).toEqual(["dev-code"]);
    expect(taro.loginCalls).toBe(0);
  });

  it("works when composed by hand, as the README shows", async () => {
    const server = new FakeAuthServer();
    const taro = new FakeTaro({ respond: server.respond });
    taro.setStorageSync(DEFAULT_STORAGE_KEY, {
      token: "refused",
      expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
    });

    const transport = taroRequestLink<ShapeRouter>({
      url: URL_BASE,
      taro,
      headers: ({ opList }) => session.authorizationHeaders(opList),
    });
    const sessionCalls = createTRPCUntypedClient<ShapeRouter>({ links: [transport] });
    const session = createSessionManager({
      taro,
      codeSource: taroLoginCodeSource(taro),
      exchangeCode: (code) => sessionCalls.mutation("auth.login", { code }),
      revokeSession: () => sessionCalls.mutation("auth.logout"),
    });
    const client = createTRPCClient<ShapeRouter>({
      links: [retryLink(), reloginLink({ session }), transport],
    });

    await expect(client.user.me.query()).resolves.toMatchObject({ nickname: "Tester" });
    expect(taro.requests).toHaveLength(3);
    expect(session.getToken()).toBe("token-1");
  });
});

describe("createMiniappClient and the server taxonomy", () => {
  it("auth.login WX_BUSY then success: 1 code, 2 auth.login requests with the same code, 500 ms apart", async () => {
    const { server, taro, session, delays } = setup();
    server.loginFailures.push(busy());
    await expect(session.ensureSession()).resolves.toMatchObject({ token: "token-1" });
    expect(taro.loginCalls).toBe(1);
    expect(server.loginCodes).toEqual(["code-1", "code-1"]);
    expect(delays).toEqual([500]);
  });

  it("auth.login WX_CODE_USED: a second code, then success", async () => {
    const { server, taro, session } = setup();
    server.loginFailures.push(codeUsed());
    await expect(session.login()).resolves.toMatchObject({ token: "token-1" });
    expect(taro.loginCalls).toBe(2);
    expect(server.loginCodes).toEqual(["code-1", "code-2"]);
  });

  it("auth.login WX_USER_BLOCKED: onBlocked once, no Taro.login across 10 later calls, session.login() clears it", async () => {
    const { server, taro, client, session, onBlocked, onSessionLost } = setup();
    server.loginFailures.push(blocked());

    const launch = await session.ensureSession().catch((error: unknown) => error);
    expect(launch).toMatchObject({ data: { code: "FORBIDDEN", reason: "WX_USER_BLOCKED", action: "block" } });
    expect(onBlocked).toHaveBeenCalledTimes(1);
    expect(onBlocked).toHaveBeenCalledWith(launch);
    expect(session.isBlocked()).toBe(true);
    expect(taro.storage.size).toBe(0);

    for (let i = 0; i < 10; i++) {
      await expect(client.user.me.query()).rejects.toBe(launch);
    }
    expect(taro.loginCalls).toBe(1);
    expect(server.loginCalls).toBe(1);
    expect(onBlocked).toHaveBeenCalledTimes(1);
    expect(onSessionLost).not.toHaveBeenCalled();
    await expect(session.ensureSession()).rejects.toBe(launch);
    expect(taro.loginCalls).toBe(1);

    await expect(session.login()).resolves.toMatchObject({ token: "token-1" });
    expect(session.isBlocked()).toBe(false);
    await expect(client.user.me.query()).resolves.toMatchObject({ nickname: "Tester" });
    expect(taro.loginCalls).toBe(2);
  });

  it("a query failing with WX_BUSY is retried through the real transport; a mutation is not", async () => {
    const { server, client, session, delays } = setup();
    await session.login();
    server.failNext("user.me", busy());
    await expect(client.user.me.query()).resolves.toMatchObject({ nickname: "Tester" });
    expect(server.meCalls).toBe(1);
    expect(delays).toEqual([500]);

    server.failNext("auth.logout", busy());
    await expect(client.auth.logout.mutate()).rejects.toMatchObject({ data: { reason: "WX_BUSY", action: "retry" } });
    expect(server.logoutCalls).toBe(0);
    expect(delays).toEqual([500]);
  });

  it("a query whose request failed on the network is retried", async () => {
    const server = new FakeAuthServer();
    let failures = 1;
    const taro = new FakeTaro({
      respond: (request) => {
        if (request.options.url.includes("/user.me") && failures-- > 0)
          setTimeout(() => request.fail("request:fail"), 1);
        else server.respond(request);
      },
    });
    const delays: number[] = [];
    const { client, session } = createMiniappClient<ShapeRouter>({
      url: URL_BASE,
      taro,
      retry: { sleep: async (ms) => void delays.push(ms) },
    });
    await session.login();
    await expect(client.user.me.query()).resolves.toMatchObject({ nickname: "Tester" });
    expect(delays).toEqual([500]);
    expect(taro.requests).toHaveLength(3);
  });
});
