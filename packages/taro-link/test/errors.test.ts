import { ERROR_TAXONOMY } from "@mp-auth/contract";
import { TRPCClientError } from "@trpc/client";
import { describe, expect, it } from "vitest";
import { describeError, retryDelay } from "../src/index.ts";
import { TaroRequestError } from "../src/taro-request-error.ts";
import { foreignServerError, serverErrors } from "./support/server-errors.ts";

describe("describeError", () => {
  it("describes a server error by its data: action, reason, code, retryAfterSeconds, message", () => {
    expect(describeError(serverErrors.rateLimited(7))).toEqual({
      action: "retry",
      reason: "LOGIN_RATE_LIMITED",
      code: "TOO_MANY_REQUESTS",
      retryAfterSeconds: 7,
      message: ERROR_TAXONOMY.LOGIN_RATE_LIMITED.message,
    });
    expect(describeError(serverErrors.blocked())).toMatchObject({
      action: "block",
      reason: "WX_USER_BLOCKED",
      code: "FORBIDDEN",
    });
    expect(describeError(serverErrors.invalidInput())).toMatchObject({ action: "show", reason: "INVALID_INPUT" });
    expect(describeError(serverErrors.sessionKeyStale())).toMatchObject({ action: "relogin", code: "UNAUTHORIZED" });
    // The server hides an unexpected fault's cause; its action is still retry.
    const internal = describeError(serverErrors.internal());
    expect(internal).toMatchObject({ action: "retry", code: "INTERNAL_SERVER_ERROR" });
    expect(internal.message).not.toContain("SQLITE");
  });

  it("describes transport failures: network, timeout and bad_response say retry, aborted says show", () => {
    for (const kind of ["network", "timeout", "bad_response"] as const) {
      const error = new TaroRequestError(kind, `${kind} happened`);
      expect(describeError(TRPCClientError.from(error))).toEqual({ action: "retry", message: `${kind} happened` });
      expect(describeError(error)).toEqual({ action: "retry", message: `${kind} happened` });
    }
    expect(describeError(TRPCClientError.from(new TaroRequestError("aborted", "Aborted: GET x")))).toMatchObject({
      action: "show",
    });
  });

  it("describes anything else as show, never throwing", () => {
    expect(describeError(new Error("Taro.login failed: login:fail"))).toEqual({
      action: "show",
      message: "Taro.login failed: login:fail",
    });
    // A server that sends no action (not ours), or one this build does not know.
    expect(describeError(foreignServerError("UNAUTHORIZED", { reason: "EXPIRED" }))).toMatchObject({
      action: "show",
      reason: "EXPIRED",
    });
    expect(describeError(foreignServerError("BAD_REQUEST", { reason: "X", action: "dance" })).action).toBe("show");
    expect(describeError("plain string")).toEqual({ action: "show", message: "plain string" });
    expect(describeError(undefined)).toEqual({ action: "show", message: "undefined" });
    expect(describeError(null)).toEqual({ action: "show", message: "null" });
  });
});

describe("retryDelay", () => {
  it("backs off 500 ms then 1500 ms, twice, for action retry only", () => {
    const busy = serverErrors.wxBusy();
    expect([0, 1, 2].map((failures) => retryDelay(busy, failures))).toEqual([500, 1500, -1]);
    expect(retryDelay(serverErrors.invalidInput(), 0)).toBe(-1);
    expect(retryDelay(serverErrors.expired(), 0)).toBe(-1);
    expect(retryDelay(serverErrors.blocked(), 0)).toBe(-1);
  });

  it("uses retryAfterSeconds up to the cap", () => {
    expect(retryDelay(serverErrors.rateLimited(10), 0)).toBe(10_000);
    expect(retryDelay(serverErrors.rateLimited(11), 0)).toBe(-1);
    expect(retryDelay(serverErrors.rateLimited(60), 0, { maxDelayMs: 60_000 })).toBe(60_000);
  });

  it("caps the exponential delay and honours retries", () => {
    const busy = serverErrors.wxBusy();
    const options = { retries: 5, baseDelayMs: 1000, maxDelayMs: 5000 };
    expect([0, 1, 2, 3, 4, 5].map((failures) => retryDelay(busy, failures, options))).toEqual([
      1000, 3000, 5000, 5000, 5000, -1,
    ]);
    expect(retryDelay(busy, 0, { retries: 0 })).toBe(-1);
  });
});
