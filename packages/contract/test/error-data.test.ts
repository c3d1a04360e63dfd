import { describe, expect, it } from "vitest";
import { ERROR_TAXONOMY, HTTP_STATUS_BY_CODE, SESSION_REASONS, readErrorData } from "../src/index.ts";

describe("ERROR_TAXONOMY", () => {
  it("gives every row a code with an HTTP status, and session reasons the relogin action", () => {
    for (const row of Object.values(ERROR_TAXONOMY)) expect(HTTP_STATUS_BY_CODE[row.code]).toBeGreaterThanOrEqual(400);
    for (const reason of SESSION_REASONS) {
      expect(ERROR_TAXONOMY[reason]).toMatchObject({ code: "UNAUTHORIZED", action: "relogin" });
    }
  });
});

describe("readErrorData", () => {
  it("keeps well-formed fields and drops unknown actions", () => {
    expect(
      readErrorData({
        data: {
          reason: "WX_BUSY",
          action: "retry",
          code: "SERVICE_UNAVAILABLE",
          httpStatus: 503,
          retryAfterSeconds: 2,
        },
      }),
    ).toEqual({
      reason: "WX_BUSY",
      action: "retry",
      code: "SERVICE_UNAVAILABLE",
      httpStatus: 503,
      retryAfterSeconds: 2,
    });
    expect(readErrorData({ data: { reason: "FROM_A_NEWER_SERVER", action: "dance", httpStatus: "x" } })).toEqual({
      reason: "FROM_A_NEWER_SERVER",
    });
    expect(readErrorData({ data: { issues: [{ path: "nickname", code: "too_long", message: "x" }, 3] } })).toEqual({
      issues: [{ path: "nickname", code: "too_long", message: "x" }],
    });
  });

  it("keeps a ban's end time only when it is a date", () => {
    expect(readErrorData({ data: { reason: "ACCOUNT_BANNED", blockedUntil: "2026-12-24T00:00:00.000Z" } })).toEqual({
      reason: "ACCOUNT_BANNED",
      blockedUntil: "2026-12-24T00:00:00.000Z",
    });
    expect(readErrorData({ data: { blockedUntil: "soon" } })).toEqual({});
    expect(readErrorData({ data: { blockedUntil: 3 } })).toEqual({});
  });

  it("never throws on junk", () => {
    for (const junk of [undefined, null, 3, "x", {}, { data: null }, { data: "x" }])
      expect(readErrorData(junk)).toEqual({});
  });
});
