import { ERROR_REASONS, ERROR_TAXONOMY, INPUT_RULES, type InputIssueCode } from "@mp-auth/contract";
import { readTrpcResponse, TaroRequestError } from "@mp-auth/taro-link";
import { describe, expect, it } from "vitest";
import { LoginCodeError, MissingCodeSourceError } from "../src/auth/code-source";
import { formatDateTime } from "../src/services/format";
import {
  blockedUntilText,
  inputIssueText,
  phoneButtonFeedback,
  userFacingError,
} from "../src/services/user-facing-error";

/** A tRPC error as the link surfaces it: a TRPCClientError whose `data` is the server's. */
function serverError(message: string, data: Record<string, unknown>) {
  return Object.assign(new Error(message), { data });
}

/** The server's answer for `reason`, with the action and code the contract gives it. */
function contractError(reason: keyof typeof ERROR_TAXONOMY) {
  const row = ERROR_TAXONOMY[reason];
  return serverError(row.message, { reason, action: row.action, code: row.code });
}

/** A call that got no usable answer: TRPCClientError wrapping the link's TaroRequestError. */
function transportFailure(kind: TaroRequestError["kind"]) {
  return Object.assign(new Error("Request failed"), { cause: new TaroRequestError(kind, `${kind} failure`) });
}

const CHINESE = /[\u4e00-\u9fff]/;

describe("userFacingError: server reasons", () => {
  it("has its own Chinese text for every reason of the contract, with the server's action", () => {
    for (const reason of ERROR_REASONS) {
      const described = userFacingError(contractError(reason));
      expect(described.reason, reason).toBe(reason);
      expect(described.action, reason).toBe(ERROR_TAXONOMY[reason].action);
      expect(described.message, reason).toMatch(CHINESE);
      expect(described.message, reason).not.toBe("请求失败，请重试");
      expect(described.serverMessage, reason).toBe(ERROR_TAXONOMY[reason].message);
    }
    expect(userFacingError(serverError("busy", { reason: "WX_BUSY", httpStatus: 503 }))).toEqual({
      operation: "session",
      message: "微信服务繁忙，请稍后重试",
      reason: "WX_BUSY",
      action: "show",
      retryable: true,
      serverMessage: "busy",
    });
  });

  it("carries a ban's end to the blocked screen, worded in the device's time", () => {
    const until = "2026-12-24T00:00:00.000Z";
    const banned = userFacingError(
      serverError("banned", { reason: "ACCOUNT_BANNED", action: "block", code: "FORBIDDEN", blockedUntil: until }),
    );
    expect(banned).toMatchObject({ reason: "ACCOUNT_BANNED", action: "block", blockedUntil: until });
    expect(banned.message).toBe("该账号已被封禁，如有疑问请联系客服");
    expect(blockedUntilText(until)).toBe(`封禁将于 ${formatDateTime(until)} 解除`);
    // Until lifted: no end; and only ACCOUNT_BANNED carries one.
    expect(userFacingError(contractError("ACCOUNT_BANNED"))).not.toHaveProperty("blockedUntil");
    const other = serverError("x", { reason: "WX_USER_BLOCKED", action: "block", blockedUntil: until });
    expect(userFacingError(other)).not.toHaveProperty("blockedUntil");
  });

  it("keeps a reason this build does not know, with the sentence of the operation", () => {
    const newer = serverError("new", { reason: "SOMETHING_NEW", action: "retry" });
    expect(userFacingError(newer)).toMatchObject({ reason: "SOMETHING_NEW", action: "retry", retryable: true });
    expect(userFacingError(newer).message).toBe("请求失败，请重试");
    expect(userFacingError(newer, "avatar").message).toBe("头像上传失败，请重试");
  });

  it("words a few reasons by operation", () => {
    const rateLimited = contractError("WX_RATE_LIMITED");
    expect(userFacingError(rateLimited).message).toBe("登录太频繁了，请稍后再试");
    expect(userFacingError(rateLimited, "phone")).toMatchObject({
      action: "retry",
      message: "操作太频繁了，请稍后再试",
    });
    // Reaching the page, it means the link's relogin + resend did not help: ask for a new tap.
    const stale = contractError("SESSION_KEY_STALE");
    expect(userFacingError(stale, "phone")).toMatchObject({
      action: "show",
      message: "微信登录状态已更新，请重新点击绑定手机号",
    });
    expect(userFacingError(stale, "nickname")).toMatchObject({ action: "relogin" });
    expect(userFacingError(contractError("PHONE_CODE_INVALID"), "phone")).toMatchObject({
      action: "show",
      message: "手机号验证已失效，请重新点击",
    });
    expect(userFacingError(contractError("ENCRYPTED_DATA_INVALID"), "phone").message).toBe(
      "手机号信息校验失败，请重新点击",
    );
  });

  it("words the upload limits from the contract's constants", () => {
    expect(userFacingError(contractError("UPLOAD_TOO_LARGE"), "avatar").message).toBe(
      "图片太大了，请选择 2 MB 以内的图片",
    );
    expect(userFacingError(contractError("UPLOAD_UNSUPPORTED_TYPE"), "avatar").message).toBe(
      "仅支持 PNG、JPEG、GIF、WebP 格式的图片",
    );
  });
});

describe("userFacingError: input issues", () => {
  function invalidInput(path: string, code: string, message = "Invalid input") {
    return serverError(message, {
      code: "BAD_REQUEST",
      httpStatus: 400,
      reason: "INVALID_INPUT",
      action: "show",
      issues: [{ path, code, message: `${path} ${code}` }],
    });
  }

  it("words every nickname rule of the contract by its issue code, keeping the server's text", () => {
    const codes = Object.keys(INPUT_RULES) as InputIssueCode[];
    const texts = codes.filter((code) => code !== "temporary_path").map((code) => inputIssueText("nickname", code));
    expect(new Set(texts).size).toBe(texts.length);
    for (const text of texts) expect(text).toMatch(CHINESE);

    const tooLong = invalidInput(
      "nickname",
      "too_long",
      "Invalid input: ✖ nickname is too long: at most 20 characters",
    );
    expect(userFacingError(tooLong, "nickname")).toEqual({
      operation: "nickname",
      action: "show",
      retryable: true,
      reason: "INVALID_INPUT",
      message: "昵称最多 20 个字",
      serverMessage: "Invalid input: ✖ nickname is too long: at most 20 characters",
    });
    expect(userFacingError(invalidInput("nickname", "too_small"), "nickname").message).toBe("昵称不能为空");
    expect(userFacingError(invalidInput("nickname", "invisible"), "nickname").message).toBe("昵称需要包含看得见的文字");
  });

  it("falls back to a sentence per operation for codes and fields it does not word", () => {
    // Only the code counts, never the wording: an unknown code gets the general sentence.
    const unknownCode = invalidInput("nickname", "something_new", "nickname is too long");
    expect(userFacingError(unknownCode, "nickname").message).toBe("昵称不符合要求，请修改后重试");
    expect(userFacingError(invalidInput("code", "invalid_type"), "phone").message).toBe("手机号信息无效，请重新点击");
    expect(userFacingError(invalidInput("avatarUrl", "temporary_path"), "avatar").message).toBe(
      "头像需要先上传，请重新选择",
    );
    expect(userFacingError(invalidInput("avatarUrl", "invalid_format"), "avatar").message).toBe(
      "头像图片无效，请重新选择",
    );
  });
});

describe("userFacingError: no answer from the server", () => {
  it("words each transport failure kind of the link; the link's action decides the retry", () => {
    expect(userFacingError(transportFailure("network"))).toMatchObject({
      reason: "NETWORK",
      action: "retry",
      message: "无法连接服务器，请检查网络后重试",
      serverMessage: undefined,
    });
    expect(userFacingError(transportFailure("timeout"), "nickname")).toMatchObject({
      reason: "TIMEOUT",
      action: "retry",
      message: "服务器响应超时，请重试",
    });
    expect(userFacingError(transportFailure("aborted"))).toMatchObject({ reason: "ABORTED", action: "show" });
    expect(userFacingError(new TaroRequestError("timeout", "bare")).reason).toBe("TIMEOUT");
  });

  it("words an answer that is not our server's as a bad response", () => {
    expect(userFacingError(transportFailure("bad_response"), "avatar")).toMatchObject({
      reason: "BAD_RESPONSE",
      action: "retry",
      message: "服务器返回了无法识别的内容，请稍后重试",
    });
  });

  it("judges an answer without a reason by its HTTP status", () => {
    const internal = serverError("Internal server error.", { code: "INTERNAL_SERVER_ERROR", httpStatus: 500 });
    expect(userFacingError(internal, "nickname")).toMatchObject({
      reason: "HTTP_500",
      message: "服务器开小差了，请稍后重试",
    });
    expect(userFacingError(serverError("teapot", { httpStatus: 418 }))).toMatchObject({
      reason: "HTTP_418",
      message: "请求失败，请重试",
    });
  });
});

describe("userFacingError: client-side failures, by type", () => {
  it("recognises a failed login code source and a build that cannot log in", () => {
    expect(userFacingError(new LoginCodeError("wx.login failed: login:fail"))).toMatchObject({
      reason: "LOGIN_CODE_FAILED",
      action: "retry",
      retryable: true,
    });
    const missing = userFacingError(new MissingCodeSourceError("h5"));
    expect(missing).toMatchObject({ reason: "MISSING_CODE_SOURCE", retryable: false });
    expect(missing.message).toContain("TARO_APP_WX_MOCK_URL");
  });

  it("does not guess from error text: an unknown error gets the operation's sentence", () => {
    // The old regex turned these into login failures or network errors.
    expect(userFacingError(new Error("Taro.login failed: login:fail"))).toMatchObject({
      reason: "UNKNOWN",
      message: "请求失败，请重试",
    });
    expect(userFacingError(new Error("Mock WeChat phone code failed"), "phone")).toMatchObject({
      reason: "UNKNOWN",
      action: "show",
      message: "手机号绑定失败，请重试",
    });
    expect(userFacingError(undefined).reason).toBe("UNKNOWN");
  });

  it("describes a refused avatar upload (an answer read by the link's readTrpcResponse) like any API error", () => {
    function uploadAnswered(statusCode: number, body: string): unknown {
      try {
        readTrpcResponse({ statusCode, data: body }, "POST /trpc/user.uploadAvatar");
      } catch (error) {
        return error;
      }
      throw new Error(`HTTP ${statusCode} was accepted`);
    }
    const revoked = uploadAnswered(
      401,
      JSON.stringify({
        error: {
          message: ERROR_TAXONOMY.REVOKED.message,
          code: -32001,
          data: { code: "UNAUTHORIZED", httpStatus: 401, reason: "REVOKED", action: "relogin" },
        },
      }),
    );
    expect(userFacingError(revoked, "avatar")).toMatchObject({
      reason: "REVOKED",
      action: "relogin",
      message: "该设备已被退出登录，请重新登录",
      serverMessage: ERROR_TAXONOMY.REVOKED.message,
    });
    expect(userFacingError(uploadAnswered(502, "<html>Bad Gateway</html>"), "avatar")).toMatchObject({
      reason: "BAD_RESPONSE",
      action: "retry",
      message: "服务器返回了无法识别的内容，请稍后重试",
    });
  });
});

describe("phoneButtonFeedback", () => {
  it("notes a refusal gently and reports the quota and other failures", () => {
    expect(phoneButtonFeedback({ kind: "refused" })).toEqual({
      kind: "note",
      message: "你没有授权手机号，需要时可以再次点击绑定",
    });
    expect(phoneButtonFeedback({ kind: "privacy-refused" })).toEqual({
      kind: "note",
      message: "你没有同意隐私保护指引，暂时无法获取手机号，需要时可以再次点击绑定",
    });
    expect(phoneButtonFeedback({ kind: "quota-exhausted" })).toMatchObject({
      kind: "problem",
      problem: {
        reason: "PHONE_QUOTA_EXHAUSTED",
        action: "show",
        message: "手机号快速验证次数已用完，请稍后再试或联系客服",
      },
    });
    expect(
      phoneButtonFeedback({ kind: "failed", errMsg: "getPhoneNumber:fail no permission", errno: undefined }),
    ).toMatchObject({
      kind: "problem",
      problem: {
        reason: "PHONE_BUTTON_FAILED",
        message: "微信未能提供手机号，请稍后再试",
        serverMessage: "getPhoneNumber:fail no permission",
      },
    });
  });
});
