import { ApiError } from "@mp-auth/api";
import { TRPCClientError } from "@trpc/client";
import { describe, expect, it, vi } from "vitest";
import {
  createMiniappClient,
  DEFAULT_STORAGE_KEY,
  describeError,
  readTrpcResponse,
  TaroRequestError,
  type SessionLostEvent,
} from "../src/index.ts";
import { FakeTaro } from "./support/fake-taro.ts";
import { answerLikeTrpc, FakeAuthServer } from "./support/fake-trpc-server.ts";
import { serverErrorAnswer } from "./support/server-errors.ts";
import type { ShapeRouter } from "./support/shape-router.ts";

const URL_BASE = "http://127.0.0.1:3000/trpc";
const UPLOAD_URL = `${URL_BASE}/user.uploadAvatar`;
const inOneHour = () => new Date(Date.now() + 3_600_000).toISOString();

/**
 * A fake Taro.uploadFile to the tRPC procedure user.uploadAvatar: it answers through the fake
 * tRPC server like the real handler (status code + body text), on the next macrotask.
 */
function setup() {
  const server = new FakeAuthServer();
  const uploads: Array<{ header: Record<string, string> }> = [];
  let uploadFailures: Array<ApiError | { errMsg: string }> = [];
  server.procedures["user.uploadAvatar"] = ({ token }) => {
    server.requireSession(token);
    const failure = uploadFailures.shift();
    if (failure instanceof ApiError) throw failure;
    return { url: "https://cdn.example.com/avatars/a.png" };
  };
  const taro = new FakeTaro({ respond: server.respond });
  const uploadFile = (options: { url: string; header: Record<string, string> }) =>
    new Promise<{ statusCode: number; data: string }>((resolve, reject) => {
      uploads.push({ header: options.header });
      const failure = uploadFailures[0];
      if (failure && !(failure instanceof ApiError)) {
        uploadFailures.shift();
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- Taro.uploadFile rejects with a plain { errMsg }
        setTimeout(() => reject(failure), 1);
        return;
      }
      setTimeout(() => {
        const { statusCode, body } = answerLikeTrpc(
          { url: options.url, method: "POST", header: options.header } as Parameters<typeof answerLikeTrpc>[0],
          server.procedures,
        );
        resolve({ statusCode, data: body });
      }, 1);
    });
  const onSessionLost = vi.fn<(event: SessionLostEvent) => void>();
  const delays: number[] = [];
  const app = createMiniappClient<ShapeRouter>({
    url: URL_BASE,
    taro,
    onSessionLost,
    retry: { sleep: async (ms) => void delays.push(ms) },
  });
  // How the mini-program uploads an avatar (README): the runner gives the headers, the helper reads the answer.
  const uploadAvatar = (options: { idempotent?: boolean } = {}) =>
    app.authenticated(
      async (header) =>
        readTrpcResponse<{ url: string }>(await uploadFile({ url: UPLOAD_URL, header }), `POST ${UPLOAD_URL}`),
      { path: "user.uploadAvatar", ...options },
    );
  return {
    ...app,
    server,
    taro,
    uploads,
    onSessionLost,
    delays,
    uploadAvatar,
    failUploads: (...failures: Array<ApiError | { errMsg: string }>) => (uploadFailures = failures),
    store: (token: string) => taro.setStorageSync(DEFAULT_STORAGE_KEY, { token, expiresAt: inOneHour() }),
  };
}

describe("client.authenticated (an upload outside tRPC, under the same session rules)", () => {
  it("sends the stored token as Authorization: Bearer and resolves to the result data", async () => {
    const app = setup();
    await app.session.login();
    await expect(app.uploadAvatar()).resolves.toEqual({ url: "https://cdn.example.com/avatars/a.png" });
    expect(app.uploads.map((upload) => upload.header)).toEqual([{ Authorization: "Bearer token-1" }]);
  });

  it("a session refused by the server: ONE relogin shared with the tRPC calls, each sent once more", async () => {
    const app = setup();
    app.store("expired-on-server");

    const [upload, ...calls] = await Promise.all([
      app.uploadAvatar(),
      app.client.user.me.query(),
      app.client.user.me.query(),
    ]);

    expect(upload).toEqual({ url: "https://cdn.example.com/avatars/a.png" });
    expect(calls).toHaveLength(2);
    expect(app.taro.loginCalls).toBe(1);
    expect(app.server.loginCalls).toBe(1);
    expect(app.uploads.map((sent) => sent.header["Authorization"])).toEqual([
      "Bearer expired-on-server",
      "Bearer token-1",
    ]);
    expect(app.onSessionLost).not.toHaveBeenCalled();
  });

  it("a refusal of an older token is sent again with the newer session, without a login of its own", async () => {
    const app = setup();
    await app.session.login(); // token-1
    const upload = app.uploadAvatar();
    // While the upload is out, the server revokes token-1 and the app logs in again (token-2).
    app.server.validTokens.delete("token-1");
    await app.session.login();
    await expect(upload).resolves.toMatchObject({ url: expect.any(String) });
    expect(app.uploads.map((sent) => sent.header["Authorization"])).toEqual(["Bearer token-1", "Bearer token-2"]);
    expect(app.server.loginCalls).toBe(2);
  });

  it("waits for a login in flight instead of going out without a token", async () => {
    const app = setup();
    const launch = app.session.ensureSession();
    const upload = app.uploadAvatar();
    await launch;
    await expect(upload).resolves.toMatchObject({ url: expect.any(String) });
    expect(app.uploads.map((sent) => sent.header)).toEqual([{ Authorization: "Bearer token-1" }]);
  });

  it("refused again after the relogin: fails with the server's error, onSessionLost once with its path", async () => {
    const app = setup();
    app.server.issueDeadTokens = true;
    const error = await app.uploadAvatar().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TRPCClientError);
    expect(describeError(error)).toMatchObject({ action: "relogin", reason: "EXPIRED", code: "UNAUTHORIZED" });
    expect(app.uploads).toHaveLength(2);
    expect(app.onSessionLost).toHaveBeenCalledTimes(1);
    expect(app.onSessionLost.mock.calls[0]![0]).toMatchObject({ reason: "retry-rejected", path: "user.uploadAvatar" });
  });

  it("action retry: not sent again by default (it may have taken effect); idempotent: backoff and once more", async () => {
    const app = setup();
    await app.session.login();
    app.failUploads(new ApiError("WX_BUSY"));
    await expect(app.uploadAvatar()).rejects.toMatchObject({ data: { reason: "WX_BUSY", action: "retry" } });
    expect(app.uploads).toHaveLength(1);
    expect(app.delays).toEqual([]);

    app.failUploads(new ApiError("WX_BUSY"));
    await expect(app.uploadAvatar({ idempotent: true })).resolves.toMatchObject({ url: expect.any(String) });
    expect(app.uploads).toHaveLength(3);
    expect(app.delays).toEqual([500]);
  });

  it("a platform failure ({ errMsg }) is a TaroRequestError: timeout or network, action retry", async () => {
    const app = setup();
    await app.session.login();
    app.failUploads({ errMsg: "uploadFile:fail timeout" });
    const error = await app.uploadAvatar().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TRPCClientError);
    const cause = (error as TRPCClientError<never>).cause;
    expect(cause).toBeInstanceOf(TaroRequestError);
    expect(cause).toMatchObject({ kind: "timeout" });
    expect(describeError(error).action).toBe("retry");

    app.failUploads({ errMsg: "uploadFile:fail net::ERR_CONNECTION_REFUSED" });
    await expect(app.uploadAvatar({ idempotent: true })).resolves.toMatchObject({ url: expect.any(String) });
    expect(app.delays).toEqual([500]);
  });

  it("another Error from send fails the request as it is (action show), without any retry", async () => {
    const app = setup();
    await app.session.login();
    const bug = new Error("file not found: wxfile://tmp/a.png");
    const error = await app
      .authenticated(() => Promise.reject(bug), { idempotent: true })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TRPCClientError);
    expect((error as TRPCClientError<never>).cause).toBe(bug);
    expect(describeError(error)).toMatchObject({ action: "show", message: bug.message });
    expect(app.delays).toEqual([]);
  });
});

describe("readTrpcResponse (the raw answer of one tRPC HTTP call)", () => {
  it("gives result.data of a success, from a text or an already parsed body", () => {
    expect(readTrpcResponse({ statusCode: 200, data: '{"result":{"data":{"url":"https://x/a.png"}}}' })).toEqual({
      url: "https://x/a.png",
    });
    expect(readTrpcResponse({ statusCode: 200, data: { result: { data: 7 } } })).toBe(7);
  });

  it("throws a TRPCClientError carrying the server's error.data, as the real server shapes it", () => {
    const { status, envelope } = serverErrorAnswer(new ApiError("INVALID_INPUT"), "user.uploadAvatar");
    const error = (() => {
      try {
        readTrpcResponse({ statusCode: status, data: JSON.stringify(envelope) });
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(TRPCClientError);
    expect((error as TRPCClientError<never>).data).toEqual(envelope.error.data);
    expect(describeError(error)).toMatchObject({
      action: "show",
      reason: "INVALID_INPUT",
      code: "BAD_REQUEST",
      message: envelope.error.message,
    });
  });

  it("a body that is not one tRPC answer throws a TRPCClientError caused by a bad_response TaroRequestError", () => {
    const cases = [
      { statusCode: 502, data: "<html>Bad Gateway</html>", header: { "Content-Type": "text/html" } },
      { statusCode: 200, data: '{"ok":true}' },
      { statusCode: 200, data: '[{"result":{"data":1}}]' }, // a batch: not what one call answers
      { statusCode: 200, data: "" },
    ];
    for (const answer of cases) {
      const error = (() => {
        try {
          readTrpcResponse(answer, `POST ${UPLOAD_URL}`);
        } catch (caught) {
          return caught;
        }
      })() as TRPCClientError<never>;
      expect(error).toBeInstanceOf(TRPCClientError);
      expect(error.cause).toBeInstanceOf(TaroRequestError);
      expect(error.cause).toMatchObject({ kind: "bad_response", status: answer.statusCode });
      expect(error.message).toContain(`HTTP ${answer.statusCode} from POST ${UPLOAD_URL}`);
      expect(describeError(error).action).toBe("retry");
    }
  });
});
