import { describe, expect, it } from "vitest";
import { ERROR_TAXONOMY, HTTP_STATUS_BY_CODE, SESSION_REASONS, readBlockedUntil, readErrorData } from "../src/index.ts";

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

  it("reads a ban's end time only when it is a date", () => {
    const until = "2026-12-24T00:00:00.000Z";
    expect(readBlockedUntil({ data: { reason: "ACCOUNT_BANNED", blockedUntil: until } })).toBe(until);
    expect(readBlockedUntil({ data: { blockedUntil: "soon" } })).toBeUndefined();
    expect(readBlockedUntil({ data: { blockedUntil: 3 } })).toBeUndefined();
    for (const junk of [undefined, null, 3, "x", {}, { data: null }]) expect(readBlockedUntil(junk)).toBeUndefined();
  });

  it("never throws on junk", () => {
    for (const junk of [undefined, null, 3, "x", {}, { data: null }, { data: "x" }])
      expect(readErrorData(junk)).toEqual({});
  });
});
