import { TRPCError } from "@trpc/server";
import type { TRPC_ERROR_CODE_KEY } from "@trpc/server/rpc";

/**
 * Why a protected call was refused. Every one of these means "this token will never work again":
 * the client's answer is to log in again (the Taro link does it silently).
 */
export const SESSION_REASONS = ["NO_TOKEN", "MALFORMED_TOKEN", "UNKNOWN_TOKEN", "EXPIRED", "REVOKED"] as const;
export type SessionReason = (typeof SESSION_REASONS)[number];

/** Reasons carried by non-session errors, so clients can branch without parsing messages. */
export type ErrorReason =
  | SessionReason
  | "INVALID_INPUT"
  | "WX_CODE_INVALID"
  | "WX_CODE_USED"
  | "WX_USER_BLOCKED"
  | "WX_RATE_LIMITED"
  | "WX_BUSY"
  | "WX_TIMEOUT"
  | "WX_UNAVAILABLE"
  | "WX_MISCONFIGURED"
  | "NOT_FOUND";

/**
 * A TRPCError with a machine-readable `reason` (sent as `error.data.reason`) and whether retrying the
 * same call later can succeed (`error.data.retryable`).
 */
export class ApiError extends TRPCError {
  readonly reason: ErrorReason;
  readonly retryable: boolean;

  constructor(options: { code: TRPC_ERROR_CODE_KEY; reason: ErrorReason; message: string; retryable?: boolean }) {
    super({ code: options.code, message: options.message });
    this.name = "ApiError";
    this.reason = options.reason;
    this.retryable = options.retryable ?? false;
  }
}

const sessionMessages: Record<SessionReason, string> = {
  NO_TOKEN: "Sign-in required: send 'Authorization: Bearer <token>' from auth.login.",
  MALFORMED_TOKEN: "The session token is malformed: it is not a token issued by auth.login.",
  UNKNOWN_TOKEN: "The session token is unknown: log in again.",
  EXPIRED: "The session has expired: log in again.",
  REVOKED: "The session was revoked (logged out): log in again.",
};

export function sessionRefused(reason: SessionReason): ApiError {
  return new ApiError({ code: "UNAUTHORIZED", reason, message: sessionMessages[reason] });
}
