import { TaroRequestError } from "@mp-auth/taro-link";
import { describe, expect, it } from "vitest";
import { AvatarUploadError } from "../src/services/avatar-upload";
import {
  describePhoneButtonFailure,
  describeProfileError,
  PHONE_QUOTA_EXHAUSTED_MESSAGE,
  PHONE_REFUSED_NOTE,
} from "../src/services/profile-errors";

/** The `data` of a tRPC error as apps/server sends it. */
function serverError(message: string, data: Record<string, unknown>) {
  return Object.assign(new Error(message), { data });
}

describe("describeProfileError", () => {
  it("shows the server's nickname refusal in Chinese and keeps its own text", () => {
    const error = serverError("Invalid input: ✖ nickname is too long: at most 20 characters → at nickname", {
      code: "BAD_REQUEST",
      httpStatus: 400,
      reason: "INVALID_INPUT",
      action: "show",
      issues: [{ path: "nickname", code: "too_long", message: "nickname is too long: at most 20 characters" }],
    });
    expect(describeProfileError("nickname", error)).toEqual({
      operation: "nickname",
      action: "show",
      reason: "INVALID_INPUT",
      message: "昵称最多 20 个字",
      serverMessage: "Invalid input: ✖ nickname is too long: at most 20 characters → at nickname",
    });
    const empty = serverError("Invalid input: ✖ nickname cannot be empty", {
      reason: "INVALID_INPUT",
      action: "show",
      issues: [{ path: "nickname", code: "too_small", message: "nickname cannot be empty" }],
    });
    expect(describeProfileError("nickname", empty).message).toBe("昵称不能为空");
    // The wording does not matter, only the issue code: an unknown code gets the general sentence.
    const other = serverError("Invalid input: ✖ nickname is too long", {
      reason: "INVALID_INPUT",
      action: "show",
      issues: [{ path: "nickname", code: "something_new", message: "nickname is too long" }],
    });
    expect(describeProfileError("nickname", other).message).toBe("昵称不符合要求，请修改后重试");
    const temporary = serverError("Invalid input: ✖ avatarUrl is a temporary file path from chooseAvatar", {
      reason: "INVALID_INPUT",
      action: "show",
      issues: [{ path: "avatarUrl", code: "temporary_path", message: "avatarUrl is a temporary file path" }],
    });
    expect(describeProfileError("avatar", temporary).message).toBe("头像需要先上传，请重新选择");
  });

  it("chooses the phone messages by reason and keeps the server's action", () => {
    const invalid = serverError("The phone number code is invalid", { reason: "PHONE_CODE_INVALID", action: "show" });
    expect(describeProfileError("phone", invalid)).toMatchObject({
      action: "show",
      message: "手机号验证已失效，请重新点击",
    });
    for (const reason of ["WX_RATE_LIMITED", "WX_BUSY", "WX_UNAVAILABLE"]) {
      const busy = serverError("busy", { reason, action: "retry" });
      expect(describeProfileError("phone", busy)).toMatchObject({ action: "retry", reason });
    }
    expect(
      describeProfileError("phone", serverError("rate", { reason: "WX_RATE_LIMITED", action: "retry" })).message,
    ).toBe("操作太频繁了，请稍后再试");
    const corrupt = serverError("bad data", { reason: "ENCRYPTED_DATA_INVALID", action: "show" });
    expect(describeProfileError("phone", corrupt).message).toBe("手机号信息校验失败，请重新点击");
    // Reaching the page, it means the link's relogin + resend did not help: ask for a new tap.
    const stale = serverError("stale", { code: "UNAUTHORIZED", reason: "SESSION_KEY_STALE", action: "relogin" });
    expect(describeProfileError("phone", stale)).toMatchObject({
      action: "show",
      message: "微信登录状态已更新，请重新点击绑定手机号",
    });
    expect(describeProfileError("nickname", stale)).toMatchObject({ action: "relogin" });
  });

  it("describes upload failures", () => {
    const tooLarge = new AvatarUploadError("big", { reason: "UPLOAD_TOO_LARGE", action: "show", httpStatus: 413 });
    expect(describeProfileError("avatar", tooLarge)).toMatchObject({
      action: "show",
      message: "图片太大了，请选择 2 MB 以内的图片",
    });
    const wrongType = new AvatarUploadError("type", {
      reason: "UPLOAD_UNSUPPORTED_TYPE",
      action: "show",
      httpStatus: 415,
    });
    expect(describeProfileError("avatar", wrongType).message).toContain("PNG");
    const gateway = new AvatarUploadError("502", { reason: "HTTP_502", action: "retry", httpStatus: 502 });
    expect(describeProfileError("avatar", gateway)).toMatchObject({
      action: "retry",
      message: "服务器开小差了，请稍后重试",
    });
    const revoked = new AvatarUploadError("revoked", { reason: "REVOKED", action: "relogin", httpStatus: 401 });
    expect(describeProfileError("avatar", revoked)).toMatchObject({
      action: "relogin",
      message: "该设备已被退出登录，请重新登录",
    });
  });

  it("describes calls that got no answer as retryable", () => {
    const timeout = Object.assign(new Error("Request failed"), { cause: new TaroRequestError("timeout", "timed out") });
    expect(describeProfileError("nickname", timeout)).toMatchObject({
      action: "retry",
      reason: "TIMEOUT",
      serverMessage: undefined,
    });
    const internal = serverError("Internal server error.", {
      code: "INTERNAL_SERVER_ERROR",
      httpStatus: 500,
      action: "retry",
    });
    expect(describeProfileError("nickname", internal)).toMatchObject({
      action: "retry",
      message: "服务器开小差了，请稍后重试",
    });
  });

  it("falls back to a sentence per operation", () => {
    expect(describeProfileError("phone", new Error("Mock WeChat phone code failed"))).toMatchObject({
      action: "show",
      message: "手机号绑定失败，请重试",
    });
  });
});

describe("describePhoneButtonFailure", () => {
  it("notes a refusal gently and reports the quota and other failures", () => {
    expect(describePhoneButtonFailure({ kind: "refused" })).toEqual({ kind: "note", message: PHONE_REFUSED_NOTE });
    expect(describePhoneButtonFailure({ kind: "quota-exhausted" })).toMatchObject({
      kind: "problem",
      problem: { reason: "PHONE_QUOTA_EXHAUSTED", action: "show", message: PHONE_QUOTA_EXHAUSTED_MESSAGE },
    });
    expect(
      describePhoneButtonFailure({ kind: "failed", errMsg: "getPhoneNumber:fail no permission", errno: undefined }),
    ).toMatchObject({
      kind: "problem",
      problem: { reason: "PHONE_BUTTON_FAILED", serverMessage: "getPhoneNumber:fail no permission" },
    });
  });
});
