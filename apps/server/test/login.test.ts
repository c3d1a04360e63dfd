import { createDatabase } from "@mp-auth/db";
import { createWechatClient } from "@mp-auth/wechat";
import { injectFault, MOCK_DEFAULT_APPID, MOCK_DEFAULT_SECRET, mintLoginCode } from "@mp-auth/wechat/mock";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  call,
  request,
  startTestServer,
  type CallResult,
  type LoginResult,
  type TestServer,
  serverTestEngines,
} from "./harness.ts";

describe.each(await serverTestEngines())("on %s", (engine) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ WX_TIMEOUT_MS: "1500" }, { engine });
  });
  afterAll(async () => server?.close());

  type RequestLine = { path: string; status: number; ms: number; wechatMs?: number };
  /**
   * The last request log line (method, path, status, ms, and wechatMs when WeChat was called) for
   * `path`, once it is written: the server writes it when the answer has left, which the client
   * may see first.
   */
  async function lastRequestLine(path: string): Promise<RequestLine | undefined> {
    const deadline = Date.now() + 2000;
    for (;;) {
      const line = server.logs.lines
        .map((text) => JSON.parse(text) as RequestLine & { msg: string })
        .filter((entry) => entry.msg === "request" && entry.path === path)
        .at(-1);
      if (line || Date.now() > deadline) return line;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async function login(openid?: string) {
    const { code } = await mintLoginCode(server.mockWechatUrl, openid ? { openid } : {});
    return call<LoginResult>(server.url, "auth.login", { input: { code } });
  }

  describe("auth.login over HTTP", () => {
    it("exchanges a mock wx.login code for a token that user.me accepts", async () => {
      const result = await login();
      expect(result.status).toBe(200);
      const { token, expiresAt, user } = result.data!;
      expect(token).toMatch(/^mpa_[A-Za-z0-9_-]{43}$/);
      expect(new Date(expiresAt).getTime()).toBeGreaterThan(Date.now());
      expect(Object.keys(user).sort()).toEqual([
        "avatarUrl",
        "createdAt",
        "id",
        "lastLoginAt",
        "nickname",
        "phoneNumber",
      ]);

      const me = await call<{ id: string }>(server.url, "user.me", { type: "query", token });
      expect(me.status).toBe(200);
      expect(me.data!.id).toBe(user.id);
      expect(me.raw).not.toMatch(/openid|session_?key|unionid/i);

      // The login's log line counts its code2Session call apart; user.me called no WeChat API.
      const loginLine = await lastRequestLine("/trpc/auth.login");
      const meLine = await lastRequestLine("/trpc/user.me");
      expect(loginLine).toMatchObject({ status: 200 });
      expect(loginLine!.wechatMs).toBeGreaterThan(0);
      expect(loginLine!.ms).toBeGreaterThanOrEqual(loginLine!.wechatMs!);
      expect(meLine).toMatchObject({ status: 200 });
      expect(meLine).not.toHaveProperty("wechatMs");
    });

    it("stores the token only as a hash and the session_key only encrypted", async () => {
      const { code, openid } = await mintLoginCode(server.mockWechatUrl, { unionid: "union-stored-check" });
      const { data } = await call<LoginResult>(server.url, "auth.login", { input: { code } });
      const db = await createDatabase(server.databaseUrl);
      try {
        const user = await db.user.findFirstOrThrow({ where: { openid }, include: { sessions: true } });
        expect(user.unionid).toBe("union-stored-check");
        expect(user.sessionKeyCiphertext).toMatch(/^v1\./);
        expect(user.sessions).toHaveLength(1);
        expect(user.sessions[0]!.tokenHash).toMatch(/^[0-9a-f]{64}$/);
        expect(JSON.stringify(user)).not.toContain(data!.token);
      } finally {
        await db.$disconnect();
      }
    });

    it("logs the same openid in twice as the same user, with two sessions", async () => {
      const first = await login("o_same_user_twice_000000000001");
      const second = await login("o_same_user_twice_000000000001");
      expect(second.data!.user.id).toBe(first.data!.user.id);
      expect(second.data!.token).not.toBe(first.data!.token);
    });

    it("turns 20 parallel first logins of one openid into one user and 20 working tokens", async () => {
      const openid = "o_parallel_first_login_00000001";
      const codes = await Promise.all(
        Array.from({ length: 20 }, () => mintLoginCode(server.mockWechatUrl, { openid })),
      );
      const results = await Promise.all(
        codes.map(({ code }) => call<LoginResult>(server.url, "auth.login", { input: { code } })),
      );
      expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));
      expect(new Set(results.map((r) => r.data!.user.id)).size).toBe(1);
      expect(new Set(results.map((r) => r.data!.token)).size).toBe(20);
      const mes = await Promise.all(
        results.map((r) => call(server.url, "user.me", { type: "query", token: r.data!.token })),
      );
      expect(mes.every((me) => me.status === 200)).toBe(true);
      const db = await createDatabase(server.databaseUrl);
      try {
        expect(await db.user.count({ where: { openid } })).toBe(1);
      } finally {
        await db.$disconnect();
      }
    });
  });

  describe("a code sent again", () => {
    const loginFrom = (code: string, userAgent: string) =>
      request<LoginResult>(`${server.url}/trpc/auth.login`, {
        method: "POST",
        headers: { "content-type": "application/json", "user-agent": userAgent },
        body: JSON.stringify({ code }),
      });

    it("answers the same session to the client that exchanged it, WX_CODE_USED to anyone else", async () => {
      const { code } = await mintLoginCode(server.mockWechatUrl, {});
      const phone = "Mozilla/5.0 (iPhone) MicroMessenger/8.0.50";
      const first = await loginFrom(code, phone);
      expect(first.status).toBe(200);
      const other = await loginFrom(code, "curl/8.5.0");
      expect(other.status).toBe(400);
      expect(other.error!.data).toMatchObject({ reason: "WX_CODE_USED", action: "relogin" });
      expect(other.raw).not.toContain(first.data!.token);
      const doubleTap = await loginFrom(code, phone);
      expect(doubleTap.data!.token).toBe(first.data!.token);
    });
  });

  describe("WeChat refusals become clear tRPC errors", () => {
    it("rejects a code already exchanged elsewhere with BAD_REQUEST / WX_CODE_USED", async () => {
      const { code } = await mintLoginCode(server.mockWechatUrl, {});
      // Another backend (or a leaked code) used it first: WeChat answers 40163.
      const elsewhere = createWechatClient({
        appid: MOCK_DEFAULT_APPID,
        secret: MOCK_DEFAULT_SECRET,
        baseUrl: server.mockWechatUrl,
      });
      await elsewhere.code2Session(code);
      const again = await call(server.url, "auth.login", { input: { code } });
      expect(again.status).toBe(400);
      expect(again.error!.data).toMatchObject({ code: "BAD_REQUEST", reason: "WX_CODE_USED", retryable: false });
    });

    it("rejects an unknown code with BAD_REQUEST / WX_CODE_INVALID", async () => {
      const result = await call(server.url, "auth.login", { input: { code: "0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d" } });
      expect(result.status).toBe(400);
      expect(result.error!.data).toMatchObject({ code: "BAD_REQUEST", reason: "WX_CODE_INVALID" });
    });

    it.each([
      { errcode: -1, status: 503, code: "SERVICE_UNAVAILABLE", reason: "WX_BUSY", retryable: true },
      { errcode: 45011, status: 429, code: "TOO_MANY_REQUESTS", reason: "WX_RATE_LIMITED", retryable: true },
      { errcode: 40226, status: 403, code: "FORBIDDEN", reason: "WX_USER_BLOCKED", retryable: false },
      { errcode: 40029, status: 400, code: "BAD_REQUEST", reason: "WX_CODE_INVALID", retryable: false },
      { errcode: 40163, status: 400, code: "BAD_REQUEST", reason: "WX_CODE_USED", retryable: false },
      { errcode: 40013, status: 500, code: "INTERNAL_SERVER_ERROR", reason: "WX_MISCONFIGURED", retryable: false },
      { errcode: 40125, status: 500, code: "INTERNAL_SERVER_ERROR", reason: "WX_MISCONFIGURED", retryable: false },
    ])("maps WeChat errcode $errcode to $code / $reason", async ({ errcode, status, code, reason, retryable }) => {
      const { code: loginCode } = await mintLoginCode(server.mockWechatUrl, {});
      await injectFault(server.mockWechatUrl, { path: "/sns/jscode2session", errcode });
      const result = await call(server.url, "auth.login", { input: { code: loginCode } });
      expect(result.status).toBe(status);
      expect(result.error!.data).toMatchObject({ code, reason, retryable });
      expect(result.error!.data.stack).toBeUndefined();
      expect(result.error!.message).not.toContain(loginCode);
      // The refused code was not consumed by our side: nothing was written for it.
    });

    it("answers a hanging WeChat with a retriable GATEWAY_TIMEOUT and writes nothing", async () => {
      const { code, openid } = await mintLoginCode(server.mockWechatUrl, {});
      await injectFault(server.mockWechatUrl, { path: "/sns/jscode2session", hang: true });
      const started = Date.now();
      const result = await call(server.url, "auth.login", { input: { code } });
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(result.status).toBe(504);
      expect(result.error!.data).toMatchObject({ code: "GATEWAY_TIMEOUT", reason: "WX_TIMEOUT", retryable: true });
      const db = await createDatabase(server.databaseUrl);
      try {
        expect(await db.user.count({ where: { openid } })).toBe(0);
      } finally {
        await db.$disconnect();
      }
      // The log line says the time went to WeChat: about the 1500 ms timeout, out of the whole answer.
      const line = (await lastRequestLine("/trpc/auth.login"))!;
      expect(line).toMatchObject({ status: 504 });
      expect(line.wechatMs).toBeGreaterThanOrEqual(1400);
      expect(line.ms).toBeGreaterThanOrEqual(line.wechatMs!);
    });
  });

  describe("bad input is BAD_REQUEST with a clear message", () => {
    it.each([
      { name: "missing input", rawBody: undefined, input: undefined, message: /code|object|expected/i },
      { name: "missing code", input: {}, message: /code/ },
      { name: "empty code", input: { code: "" }, message: /code is required/ },
      { name: "blank code", input: { code: "   " }, message: /code is required/ },
      { name: "number code", input: { code: 12345 }, message: /code must be a string/ },
      { name: "null code", input: { code: null }, message: /code must be a string/ },
      { name: "oversized code", input: { code: "x".repeat(5_000) }, message: /too long/ },
      { name: "control characters", input: { code: "abc\u0000def" }, message: /characters/ },
    ])("$name", async ({ input, message }) => {
      const result = await call(server.url, "auth.login", { input });
      expect(result.status).toBe(400);
      expect(result.error!.data).toMatchObject({ code: "BAD_REQUEST", reason: "INVALID_INPUT" });
      expect(result.error!.message).toMatch(message);
      expect(result.raw).not.toMatch(/at .*\.ts:\d+/);
    });

    it("malformed JSON", async () => {
      const result = await call(server.url, "auth.login", { rawBody: '{"code": "abc"' });
      expect(result.status).toBe(400);
      expect(result.error!.data).toMatchObject({ code: "BAD_REQUEST", reason: "INVALID_INPUT", action: "show" });
      expect(result.error!.message).toMatch(/not valid JSON/);
    });

    it("a body over the size limit", async () => {
      const result = await call(server.url, "auth.login", { rawBody: JSON.stringify({ code: "x".repeat(200_000) }) });
      expect(result.status).toBe(413);
      expect(result.error!.data).toMatchObject({ code: "PAYLOAD_TOO_LARGE", reason: "UPLOAD_TOO_LARGE" });
      expect(result.error!.data.stack).toBeUndefined();
    });

    it("an unknown procedure is NOT_FOUND, not a 500", async () => {
      const result = await call(server.url, "auth.nope", { input: {} });
      expect(result.status).toBe(404);
      expect(result.error!.data).toMatchObject({ code: "NOT_FOUND", reason: "ROUTE_NOT_FOUND", path: "auth.nope" });
    });
  });

  describe("health", () => {
    it("GET /healthz answers 200 JSON", async () => {
      const response = await fetch(`${server.url}/healthz`);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ status: "ok", ...(server.usesRedis ? { redis: "up" } : {}) });
    });
  });

  describe("answers outside tRPC use the same error envelope as tRPC's", () => {
    const envelopeKeys = (result: CallResult) => ({
      top: Object.keys(JSON.parse(result.raw) as object),
      error: Object.keys(result.error!).sort(),
      data: Object.keys(result.error!.data)
        .filter((key) => key !== "path")
        .sort(),
    });

    it("an unknown path, a wrong method and a tRPC refusal share one shape", async () => {
      const unknownPath = await request(`${server.url}/nope`, { method: "DELETE" });
      expect(unknownPath.status).toBe(404);
      expect(unknownPath.error!.data).toMatchObject({ reason: "ROUTE_NOT_FOUND", httpStatus: 404 });
      const wrongMethod = await request(`${server.url}/healthz`, { method: "POST" });
      expect(wrongMethod.status).toBe(405);
      expect(wrongMethod.error!.data).toMatchObject({ reason: "METHOD_NOT_ALLOWED", code: "METHOD_NOT_SUPPORTED" });
      const trpcRefusal = await call(server.url, "user.me", { type: "query" });
      expect(envelopeKeys(unknownPath)).toEqual(envelopeKeys(trpcRefusal));
      expect(envelopeKeys(wrongMethod)).toEqual(envelopeKeys(trpcRefusal));
    });

    it("a content type tRPC does not read is INVALID_INPUT", async () => {
      const result = await request(`${server.url}/trpc/auth.login`, {
        method: "POST",
        headers: { "content-type": "text/plain" },
        body: "code=abc",
      });
      expect(result.status).toBe(400);
      expect(result.error!.data.reason).toBe("INVALID_INPUT");
    });
  });
});
