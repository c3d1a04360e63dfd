import { describe, expect, it } from "vitest";
import { describeError } from "../src/services/error-messages";

describe("describeError", () => {
  it("maps server reasons to Chinese messages", () => {
    expect(describeError({ data: { reason: "WX_BUSY", httpStatus: 503 } })).toEqual({
      message: "微信服务繁忙，请稍后重试",
      reason: "WX_BUSY",
      retryable: true,
    });
    expect(describeError({ data: { reason: "WX_USER_BLOCKED", action: "block" } })).toMatchObject({
      reason: "WX_USER_BLOCKED",
      retryable: true,
    });
    expect(describeError({ data: { reason: "SOMETHING_NEW" } })).toMatchObject({
      reason: "SOMETHING_NEW",
      retryable: true,
    });
  });

  it("tells a server that cannot be reached from one that failed", () => {
    expect(describeError(new Error("request:fail"))).toMatchObject({ reason: "NETWORK", retryable: true });
    expect(describeError({ data: { httpStatus: 500 } })).toMatchObject({ reason: "HTTP_500" });
    expect(describeError(undefined)).toMatchObject({ reason: "NETWORK" });
    const timeout = Object.assign(new Error("Request failed"), {
      cause: { name: "TaroRequestError", kind: "timeout" },
    });
    expect(describeError(timeout)).toMatchObject({ reason: "TIMEOUT", retryable: true });
  });

  it("recognises login code failures and a missing code source", () => {
    expect(describeError(new Error("Taro.login failed: login:fail"))).toMatchObject({ reason: "LOGIN_CODE_FAILED" });
    const missing = Object.assign(new Error("no source"), { name: "MissingCodeSourceError" });
    expect(describeError(missing)).toMatchObject({ reason: "MISSING_CODE_SOURCE", retryable: false });
    expect(describeError(missing).message).toContain("TARO_APP_WX_MOCK_URL");
  });
});
