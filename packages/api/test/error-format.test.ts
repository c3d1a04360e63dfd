import { ERROR_TAXONOMY, HTTP_STATUS_BY_CODE, type ErrorCode } from "@mp-auth/contract";
import { WechatError, type WechatErrorKind } from "@mp-auth/wechat";
import { TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { TRPC_ERROR_CODES_BY_KEY } from "@trpc/server/rpc";
import { describe, expect, it } from "vitest";
import { ApiError, errorEnvelope, formatError } from "../src/index.ts";
import { wechatRefusal } from "../src/wechat-refusals.ts";

describe("the contract's codes", () => {
  it("HTTP_STATUS_BY_CODE agrees with tRPC's own status for every code", () => {
    for (const [code, status] of Object.entries(HTTP_STATUS_BY_CODE)) {
      expect([code, getHTTPStatusCodeFromError(new TRPCError({ code: code as ErrorCode }))]).toEqual([code, status]);
    }
  });

  it("every taxonomy row formats to its own code, status, action and a JSON-RPC code", () => {
    for (const [reason, row] of Object.entries(ERROR_TAXONOMY)) {
      const formatted = formatError(new ApiError(reason as keyof typeof ERROR_TAXONOMY), "some.path");
      expect(formatted).toEqual({
        message: row.message,
        code: TRPC_ERROR_CODES_BY_KEY[row.code],
        data: {
          code: row.code,
          httpStatus: HTTP_STATUS_BY_CODE[row.code],
          reason,
          action: row.action,
          retryable: row.action === "retry",
          path: "some.path",
        },
      });
    }
  });
});

describe("errors that are not ours get a row too", () => {
  it.each([
    [new TRPCError({ code: "PARSE_ERROR" }), "INVALID_INPUT", 400],
    [new TRPCError({ code: "BAD_REQUEST", cause: new SyntaxError("Unexpected end") }), "INVALID_INPUT", 400],
    [new TRPCError({ code: "NOT_FOUND", message: 'No procedure found on path "x"' }), "ROUTE_NOT_FOUND", 404],
    [new TRPCError({ code: "METHOD_NOT_SUPPORTED" }), "METHOD_NOT_ALLOWED", 405],
    [new TRPCError({ code: "PAYLOAD_TOO_LARGE" }), "UPLOAD_TOO_LARGE", 413],
    [new TRPCError({ code: "UNSUPPORTED_MEDIA_TYPE" }), "INVALID_INPUT", 400],
    // tRPC's own batch cap is only a backstop behind the server's count (BATCH_TOO_LARGE): its
    // English message is not matched, so it stays a plain 400.
    [new TRPCError({ code: "BAD_REQUEST", message: "Batch call exceeds maximum size" }), "INVALID_INPUT", 400],
    [new TRPCError({ code: "TIMEOUT" }), "INTERNAL", 500],
  ] as const)("%s -> %s", (error, reason, status) => {
    const formatted = formatError(error);
    expect(formatted.data).toMatchObject({ reason, httpStatus: status });
  });

  it("an unexpected fault says nothing of its cause", () => {
    const cause = new Error("SQLITE_ERROR: no such table: Session at /srv/app/db.sqlite");
    const { status, body } = errorEnvelope(cause);
    expect(status).toBe(500);
    expect(body).toEqual({
      error: {
        message: "Internal server error.",
        code: TRPC_ERROR_CODES_BY_KEY.INTERNAL_SERVER_ERROR,
        data: { code: "INTERNAL_SERVER_ERROR", httpStatus: 500, reason: "INTERNAL", action: "retry", retryable: true },
      },
    });
    expect(JSON.stringify(body)).not.toMatch(/SQLITE|Session|srv/);
  });
});

describe("WeChat refusals, by the call they come from", () => {
  const refusal = (call: "login" | "phone", kind: WechatErrorKind) =>
    wechatRefusal(call, new WechatError({ kind, message: "test" }));

  it("tells a stale login code from a stale phone code", () => {
    expect(refusal("login", "invalid_code").reason).toBe("WX_CODE_INVALID");
    expect(refusal("phone", "invalid_code").reason).toBe("PHONE_CODE_INVALID");
  });

  it("gives rate limits a retry delay and never echoes WeChat's text", () => {
    const limited = refusal("login", "rate_limited");
    expect(limited).toMatchObject({ reason: "WX_RATE_LIMITED", retryAfterSeconds: 60 });
    expect(limited.message).toBe(ERROR_TAXONOMY.WX_RATE_LIMITED.message);
  });
});
