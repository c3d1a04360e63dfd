import { createMiniappClient } from "@mp-auth/taro-link";
import type { AppRouter } from "@mp-auth/api";
import { describe, expect, it, vi } from "vitest";
import { uploadAvatarFile, type UploadFile } from "../src/services/avatar-upload";
import { userFacingError } from "../src/services/user-facing-error";
import { FetchTaro } from "./helpers/fetch-taro";

// The upload through the real taro-link client, with a signed-in session in storage and a fake
// Taro.uploadFile answering as the server or the platform would. The session rules themselves
// (relogin, retries) are the link's and tested there; server-errors.test.ts runs the real server.

const API_URL = "http://127.0.0.1:9/trpc";
const STORED_SESSION = { token: "token-1", expiresAt: new Date(Date.now() + 24 * 3600_000).toISOString() };

type Answer = { statusCode: number; data: unknown } | { reject: unknown };

function signedIn(answers: Answer[]) {
  const taro = new FetchTaro();
  taro.storage.set("mp-auth.session", STORED_SESSION);
  const { authenticated } = createMiniappClient<AppRouter>({
    url: API_URL,
    taro,
    codeSource: () => Promise.reject(new Error("this test must not log in")),
    // Immediate backoff: a retried upload would show up as a second call, not as a slow test.
    retry: { sleep: async () => {} },
  });
  const uploadFile = vi.fn<UploadFile>(async () => {
    const answer = answers.shift();
    if (!answer) throw new Error("no more answers");
    if ("reject" in answer) throw answer.reject;
    return answer;
  });
  const upload = () => uploadAvatarFile("wxfile://tmp_1.png", { apiUrl: API_URL, uploadFile, authenticated });
  return { upload, uploadFile };
}

function trpcError(httpStatus: number, data: Record<string, unknown>, message = "refused") {
  return {
    statusCode: httpStatus,
    data: JSON.stringify({ error: { message, code: -32600, data: { httpStatus, ...data } } }),
  };
}

describe("uploadAvatarFile", () => {
  it("sends the file as field `file` to user.uploadAvatar with the session's token", async () => {
    const { upload, uploadFile } = signedIn([
      { statusCode: 200, data: '{"result":{"data":{"url":"http://127.0.0.1:9/uploads/avatars/a.png"}}}' },
    ]);
    await expect(upload()).resolves.toBe("http://127.0.0.1:9/uploads/avatars/a.png");
    expect(uploadFile).toHaveBeenCalledTimes(1);
    expect(uploadFile.mock.calls[0]?.[0]).toEqual({
      url: `${API_URL}/user.uploadAvatar`,
      filePath: "wxfile://tmp_1.png",
      name: "file",
      header: { Authorization: "Bearer token-1" },
      timeout: 30_000,
    });
  });

  it("words a refusal by the server's reason, and does not send the file again", async () => {
    const { upload, uploadFile } = signedIn([
      trpcError(413, { code: "PAYLOAD_TOO_LARGE", reason: "UPLOAD_TOO_LARGE", action: "show" }),
    ]);
    const refusal = await upload().catch((error: unknown) => error);
    expect(userFacingError(refusal, "avatar")).toMatchObject({
      reason: "UPLOAD_TOO_LARGE",
      action: "show",
      message: "图片太大了，请选择 2 MB 以内的图片",
      serverMessage: "refused",
    });
    expect(uploadFile).toHaveBeenCalledTimes(1);
  });

  it("offers a retry for a rate limit but leaves resending to the user (an upload is not idempotent)", async () => {
    const { upload, uploadFile } = signedIn([
      trpcError(429, {
        code: "TOO_MANY_REQUESTS",
        reason: "UPLOAD_RATE_LIMITED",
        action: "retry",
        retryAfterSeconds: 1,
      }),
      { statusCode: 200, data: '{"result":{"data":{"url":"http://127.0.0.1:9/uploads/avatars/b.png"}}}' },
    ]);
    const refusal = await upload().catch((error: unknown) => error);
    expect(userFacingError(refusal, "avatar")).toMatchObject({
      reason: "UPLOAD_RATE_LIMITED",
      action: "retry",
      message: "上传太频繁了，请稍后再试",
    });
    expect(uploadFile).toHaveBeenCalledTimes(1);
  });

  it("reports an answer that is not the server's, or has no image URL, as a bad response", async () => {
    const cases: Answer[] = [
      { statusCode: 502, data: "<html>Bad Gateway</html>" },
      { statusCode: 200, data: '{"url":"http://127.0.0.1:9/uploads/avatars/c.png"}' },
      { statusCode: 200, data: '{"result":{"data":{}}}' },
      { statusCode: 200, data: '{"result":{"data":{"url":"wxfile://tmp_1.png"}}}' },
    ];
    for (const answer of cases) {
      const { upload, uploadFile } = signedIn([answer]);
      const failure = await upload().catch((error: unknown) => error);
      expect(userFacingError(failure, "avatar"), JSON.stringify(answer)).toMatchObject({
        reason: "BAD_RESPONSE",
        action: "retry",
        message: "服务器返回了无法识别的内容，请稍后重试",
      });
      expect(uploadFile).toHaveBeenCalledTimes(1);
    }
  });

  it("words the platform's failures (Taro rejects with { errMsg }) as a timeout or a network failure", async () => {
    const timedOut = signedIn([{ reject: { errMsg: "uploadFile:fail timeout" } }]);
    expect(userFacingError(await timedOut.upload().catch((error: unknown) => error), "avatar")).toMatchObject({
      reason: "TIMEOUT",
      action: "retry",
      message: "服务器响应超时，请重试",
    });
    const offline = signedIn([{ reject: { errMsg: "uploadFile:fail net::ERR_CONNECTION_REFUSED" } }]);
    expect(userFacingError(await offline.upload().catch((error: unknown) => error), "avatar")).toMatchObject({
      reason: "NETWORK",
      action: "retry",
    });
    expect(timedOut.uploadFile).toHaveBeenCalledTimes(1);
    expect(offline.uploadFile).toHaveBeenCalledTimes(1);
  });
});
