import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { AppRouter } from "@mp-auth/api";
import { APPID_HEADER } from "@mp-auth/contract";
import { startServer } from "@mp-auth/server";
import {
  clearFaults,
  encryptForUser,
  getMockStats,
  injectFault,
  mintLoginCode,
  MOCK_DEFAULT_APPID,
} from "@mp-auth/wechat/mock";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { createMiniappClient } from "../src/create-miniapp-client.ts";
import { describeError } from "../src/errors.ts";
import { readTrpcResponse } from "../src/trpc-response.ts";
import type { CodeSource } from "../src/code-source.ts";
import type { SessionLostEvent } from "../src/relogin-link.ts";
import { DEFAULT_STORAGE_KEY, type StoredSession } from "../src/session.ts";
import { NodeHttpTaro } from "./support/node-http-taro.ts";

// The real server and the real mock WeChat over loopback HTTP; the link runs on a Taro-like
// object whose request is Node's http module.

type RunningServer = Awaited<ReturnType<typeof startServer>>;

let server: RunningServer;
let mockUrl: string;
let tempDir: string;
const OPENID = "o-integration-user";

/** The real server with its own mock WeChat, on a SQLite file in `dir`. */
async function startLinkServer(dir: string, env: Record<string, string> = {}): Promise<RunningServer> {
  const started = await startServer({
    env: {
      HOST: "127.0.0.1",
      PORT: "0",
      WX_MOCK_PORT: "0",
      DATABASE_URL: `file:${path.join(dir, "test.db")}`,
      LOG_LEVEL: "silent",
      // Given explicitly so the server does not generate a dev key file in the repository.
      SESSION_KEY_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
      ...env,
    },
  });
  if (!started.mockWechatUrl) throw new Error("the server did not start its mock WeChat (is WX_APPID set?)");
  return started;
}

/** One tRPC call sent by hand with Taro.request, as Taro.uploadFile sends the avatar upload. */
function rawCall(taro: NodeHttpTaro, url: string, header: Record<string, string>) {
  return new Promise<unknown>((resolve, reject) => {
    taro.request({
      url,
      method: "GET",
      header,
      dataType: "text",
      responseType: "text",
      timeout: 5_000,
      success: (answer) => {
        try {
          resolve(readTrpcResponse(answer, `GET ${url}`));
        } catch (error) {
          reject(error);
        }
      },
      fail: reject,
    });
  });
}

beforeAll(async () => {
  tempDir = mkdtempSync(path.join(tmpdir(), "mp-auth-taro-link-"));
  server = await startLinkServer(tempDir);
  mockUrl = server.mockWechatUrl!;
});

afterAll(async () => {
  await server?.close();
  if (tempDir) rmSync(tempDir, { recursive: true, force: true });
});

/** Mints codes at the mock WeChat, as an H5 / development build would. */
function mockCodeSource(counter: { codes: number }, openid = OPENID): CodeSource {
  return async () => {
    counter.codes++;
    return (await mintLoginCode(mockUrl, { openid })).code;
  };
}

async function code2SessionCalls(): Promise<number> {
  return (await getMockStats(mockUrl))["/sns/jscode2session"] ?? 0;
}

/** One "launch" of the mini-program: a new client on the given (persistent) storage. */
function launch(storage: Map<string, unknown>) {
  const taro = new NodeHttpTaro(storage);
  const counter = { codes: 0 };
  const onSessionLost = vi.fn<(event: SessionLostEvent) => void>();
  const app = createMiniappClient<AppRouter>({
    url: server.trpcUrl,
    taro,
    codeSource: mockCodeSource(counter),
    onSessionLost,
  });
  return { ...app, taro, counter, onSessionLost };
}

/** A plain HTTP call, outside the link: what another device or an admin tool would do. */
async function plainMutation(procedure: string, token: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${server.trpcUrl}/${procedure}`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
  });
  return { status: response.status, body: await response.json() };
}

describe("the link against the real server and mock WeChat", () => {
  const storage = new Map<string, unknown>();
  let firstToken = "";

  it("first launch logs in", async () => {
    const before = await code2SessionCalls();
    const app = launch(storage);

    const session = await app.session.ensureSession();
    expect(session.token).toMatch(/\S{20,}/);
    expect(Number.isNaN(Date.parse(session.expiresAt))).toBe(false);
    expect(app.counter.codes).toBe(1);
    expect(await code2SessionCalls()).toBe(before + 1);
    expect(storage.get(DEFAULT_STORAGE_KEY)).toEqual(session);
    expect(app.taro.sent).toEqual(["POST /trpc/auth.login?batch=1"]);

    const me = await app.client.user.me.query();
    expect(me).toMatchObject({ id: expect.any(String) });
    firstToken = session.token;
  });

  it("a second launch on the same storage reuses the token: no login, no request", async () => {
    const before = await code2SessionCalls();
    const app = launch(storage);

    await expect(app.session.ensureSession()).resolves.toEqual({ token: firstToken, expiresAt: expect.any(String) });
    expect(app.taro.sent).toEqual([]);
    expect(app.counter.codes).toBe(0);
    expect(await code2SessionCalls()).toBe(before);

    await expect(app.client.user.me.query()).resolves.toMatchObject({ id: expect.any(String) });
    expect(app.taro.sent).toHaveLength(1);
  });

  it("a session revoked on the server is replaced silently on the next call", async () => {
    const revoked = await plainMutation("auth.logout", firstToken);
    expect(revoked.status).toBe(200);
    const before = await code2SessionCalls();
    const app = launch(storage);
    await app.session.ensureSession(); // still looks fine locally: the server alone knows

    const me = await app.client.user.me.query();

    expect(me).toMatchObject({ id: expect.any(String) });
    expect(app.counter.codes).toBe(1);
    expect(await code2SessionCalls()).toBe(before + 1);
    const renewed = storage.get(DEFAULT_STORAGE_KEY) as StoredSession;
    expect(renewed.token).not.toBe(firstToken);
    expect(app.taro.sent.map((line) => line.split("?")[0])).toEqual([
      "GET /trpc/user.me", // refused: REVOKED
      "POST /trpc/auth.login",
      "GET /trpc/user.me", // the retry
    ]);
    expect(app.onSessionLost).not.toHaveBeenCalled();
    firstToken = renewed.token;
  });

  it("50 concurrent calls on a revoked session: batches of 10 (the server's cap), 1 code, 1 auth.login", async () => {
    const app = launch(storage);
    await app.session.ensureSession();
    expect((await plainMutation("auth.logout", firstToken)).status).toBe(200);
    const before = await code2SessionCalls();

    const results = await Promise.all(Array.from({ length: 50 }, () => app.client.user.me.query()));

    expect(new Set(results.map((me) => me.id)).size).toBe(1);
    // 5 refused batches of 10, auth.login, 5 retried batches (MAX_BATCH_SIZE is 10 by default).
    expect(app.taro.sent).toHaveLength(11);
    expect(app.counter.codes).toBe(1);
    expect(await code2SessionCalls()).toBe(before + 1);
    firstToken = (storage.get(DEFAULT_STORAGE_KEY) as StoredSession).token;
  });

  it("logout revokes the session on the server and clears storage", async () => {
    const app = launch(storage);
    await app.session.ensureSession();
    const token = app.session.getToken()!;

    await expect(app.session.logout()).resolves.toEqual({ revokedOnServer: true });
    expect(storage.has(DEFAULT_STORAGE_KEY)).toBe(false);
    const afterLogout = await plainMutation("auth.logout", token);
    expect(afterLogout.status).toBe(401);
    expect(afterLogout.body).toMatchObject({ error: { data: { code: "UNAUTHORIZED", reason: "REVOKED" } } });
  });

  it("passes non-session errors through untouched (invalid login code)", async () => {
    const app = launch(new Map());
    const error = await app.client.auth.login.mutate({ code: "not-a-real-code" }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ name: "TRPCClientError", data: { code: "BAD_REQUEST", httpStatus: 400 } });
    expect(app.counter.codes).toBe(0);
    expect(app.taro.sent).toHaveLength(1);
  });
});

describe("the server taxonomy, end to end (mock WeChat faults)", () => {
  const openid = "o-integration-taxonomy";

  /** A fresh launch with no stored session; its backoff waits are recorded and shortened. */
  function launchFresh() {
    const taro = new NodeHttpTaro(new Map());
    const counter = { codes: 0 };
    const delays: number[] = [];
    const onBlocked = vi.fn<(error: unknown) => void>();
    const onSessionLost = vi.fn<(event: SessionLostEvent) => void>();
    const app = createMiniappClient<AppRouter>({
      url: server.trpcUrl,
      taro,
      codeSource: mockCodeSource(counter, openid),
      onBlocked,
      onSessionLost,
      retry: {
        sleep: (ms) => {
          delays.push(ms);
          return new Promise((resolve) => setTimeout(resolve, 10));
        },
      },
    });
    return { ...app, taro, counter, delays, onBlocked, onSessionLost };
  }

  afterEach(async () => {
    await clearFaults(mockUrl);
  });

  it("WeChat busy (-1) on the first code2Session at first launch: auth.login is retried with the same code and succeeds", async () => {
    await injectFault(mockUrl, { path: "/sns/jscode2session", errcode: -1 });
    const before = await code2SessionCalls();
    const app = launchFresh();

    const session = await app.session.ensureSession();

    expect(session.token).toMatch(/\S{20,}/);
    expect(app.counter.codes).toBe(1);
    expect(app.delays).toEqual([500]);
    expect(app.taro.sent).toEqual(["POST /trpc/auth.login?batch=1", "POST /trpc/auth.login?batch=1"]);
    expect(await code2SessionCalls()).toBe(before + 2);
    await expect(app.client.user.me.query()).resolves.toMatchObject({ id: expect.any(String) });
    expect(app.onBlocked).not.toHaveBeenCalled();
  });

  it("WeChat 40226 (high-risk user): blocked, onBlocked fired, no more jscode2session for later calls", async () => {
    await injectFault(mockUrl, { path: "/sns/jscode2session", errcode: 40226 });
    const before = await code2SessionCalls();
    const app = launchFresh();

    const error = await app.session.ensureSession().catch((caught: unknown) => caught);

    expect(error).toMatchObject({
      name: "TRPCClientError",
      data: { code: "FORBIDDEN", reason: "WX_USER_BLOCKED", action: "block", retryable: false },
    });
    expect(describeError(error)).toMatchObject({ action: "block", reason: "WX_USER_BLOCKED" });
    expect(app.session.isBlocked()).toBe(true);
    expect(app.onBlocked).toHaveBeenCalledTimes(1);
    expect(app.session.getToken()).toBeNull();
    expect(await code2SessionCalls()).toBe(before + 1);

    for (let i = 0; i < 10; i++) {
      await expect(app.client.user.me.query()).rejects.toBe(error);
    }
    await expect(app.session.ensureSession()).rejects.toBe(error);
    expect(await code2SessionCalls()).toBe(before + 1);
    expect(app.counter.codes).toBe(1);
    expect(app.taro.sent.filter((line) => line.startsWith("POST /trpc/auth.login"))).toHaveLength(1);
    expect(app.onBlocked).toHaveBeenCalledTimes(1);
    expect(app.onSessionLost).not.toHaveBeenCalled();

    // The user taps "try again" on the blocked screen (the fault is gone: WeChat lets them in).
    await expect(app.session.login()).resolves.toMatchObject({ token: expect.any(String) });
    expect(app.session.isBlocked()).toBe(false);
    await expect(app.client.user.me.query()).resolves.toMatchObject({ id: expect.any(String) });
    expect(await code2SessionCalls()).toBe(before + 2);
  });
});

describe("session_key rotated by WeChat (legacy encrypted phone data)", () => {
  it("relogs in with a fresh code and retries the call once, transparently", async () => {
    const openid = "o-integration-stale-key";
    const storage = new Map<string, unknown>();
    const taro = new NodeHttpTaro(storage);
    let codes = 0;
    const app = createMiniappClient<AppRouter>({
      url: server.trpcUrl,
      taro,
      // After the first login, a wx.login that keeps WeChat's current key (as real WeChat usually does).
      codeSource: async () => (await mintLoginCode(mockUrl, { openid, rotateSessionKey: codes++ === 0 })).code,
    });
    await app.session.ensureSession();
    // The user ran wx.login elsewhere: WeChat rotated the key and the code never reached our server.
    await mintLoginCode(mockUrl, { openid });
    const { encryptedData, iv } = await encryptForUser(mockUrl, {
      openid,
      data: { phoneNumber: "13600136000", purePhoneNumber: "13600136000", countryCode: "86" },
    });
    const before = await code2SessionCalls();

    const profile = await app.client.user.bindPhone.mutate({ encryptedData, iv });

    expect(profile.phoneNumber).toBe("13600136000");
    expect(codes).toBe(2);
    expect((await code2SessionCalls()) - before).toBe(1);
  });
});

describe("authenticated requests (outside the tRPC client) against the real server", () => {
  it("a revoked session: one relogin, the request sent once more with the new token", async () => {
    const storage = new Map<string, unknown>();
    const app = launch(storage);
    const first = await app.session.ensureSession();
    expect((await plainMutation("auth.logout", first.token)).status).toBe(200);
    const before = await code2SessionCalls();
    const [codesBefore, sentBefore] = [app.counter.codes, app.taro.sent.length];

    const me = await app.authenticated((header) => rawCall(app.taro, `${server.trpcUrl}/user.me`, header), {
      path: "user.me",
    });

    expect(me).toMatchObject({ id: expect.any(String) });
    expect(app.counter.codes).toBe(codesBefore + 1);
    expect(await code2SessionCalls()).toBe(before + 1);
    expect(app.session.getToken()).not.toBe(first.token);
    expect(app.taro.sent.slice(sentBefore).map((line) => line.split("?")[0])).toEqual([
      "GET /trpc/user.me", // refused: REVOKED
      "POST /trpc/auth.login",
      "GET /trpc/user.me", // the retry
    ]);
    expect(app.onSessionLost).not.toHaveBeenCalled();
  });

  it("the server's error reaches the caller with its data, like a tRPC call's", async () => {
    const app = launch(new Map());
    await app.session.ensureSession();
    const error = await app
      .authenticated((header) => rawCall(app.taro, `${server.trpcUrl}/no.such.procedure`, header))
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ name: "TRPCClientError", data: { code: "NOT_FOUND", httpStatus: 404 } });
    expect(describeError(error).action).toBe("show");
  });
});

describe("a mini-program of a server serving two apps", () => {
  const APP_B = "wxmock0000000000b2";
  let twoApps: RunningServer;
  let twoAppsDir: string;
  beforeAll(async () => {
    twoAppsDir = mkdtempSync(path.join(tmpdir(), "mp-auth-taro-link-apps-"));
    twoApps = await startLinkServer(twoAppsDir, { WX_MOCK_APPIDS: `${MOCK_DEFAULT_APPID},${APP_B}` });
  });
  afterAll(async () => {
    await twoApps?.close();
    if (twoAppsDir) rmSync(twoAppsDir, { recursive: true, force: true });
  });

  it("sends the build's appid on every request, tRPC calls and authenticated requests alike", async () => {
    const taro = new NodeHttpTaro(new Map());
    const mock = twoApps.mockWechatUrl!;
    const app = createMiniappClient<AppRouter>({
      url: twoApps.trpcUrl,
      taro,
      headers: { [APPID_HEADER]: APP_B },
      codeSource: async () => (await mintLoginCode(mock, { appid: APP_B, person: "link-user" })).code,
    });
    const me = await app.client.user.me.query();
    const viaAuthenticated = await app.authenticated((header) => rawCall(taro, `${twoApps.trpcUrl}/user.me`, header), {
      path: "user.me",
      idempotent: true,
    });
    expect(viaAuthenticated).toMatchObject({ id: me.id });

    // Without the header the server cannot tell the apps apart: nothing is guessed.
    const anonymous = createMiniappClient<AppRouter>({
      url: twoApps.trpcUrl,
      taro: new NodeHttpTaro(new Map()),
      codeSource: async () => (await mintLoginCode(mock, { appid: APP_B })).code,
      retry: { retries: 0 },
    });
    await expect(anonymous.client.user.me.query()).rejects.toMatchObject({ data: { reason: "APPID_REQUIRED" } });
  });
});
