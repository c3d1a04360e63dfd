import { TRPCError } from "@trpc/server";
import type { TRPC_ERROR_CODE_KEY } from "@trpc/server/rpc";

/**
 * Why a protected call was refused. Every one of these is fixed by logging in again with a fresh
 * wx.login code (the Taro link does it silently): the first five mean our token is dead;
 * SESSION_KEY_STALE means WeChat rotated the user's session_key and ours no longer decrypts.
 */
export const SESSION_REASONS = ["NO_TOKEN", "MALFORMED_TOKEN", "UNKNOWN_TOKEN", "EXPIRED", "REVOKED", "SESSION_KEY_STALE"] as const;
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
  | "NOT_FOUND"
  | "LOGIN_RATE_LIMITED"
  | "PHONE_CODE_INVALID"
  | "ENCRYPTED_DATA_INVALID"
  | "PHONE_QUOTA_EXHAUSTED";

/**
 * A TRPCError with a machine-readable `reason` (sent as `error.data.reason`) and whether retrying the
 * same call later can succeed (`error.data.retryable`).
 */
export class ApiError extends TRPCError {
  readonly reason: ErrorReason;
  readonly retryable: boolean;
  /** For TOO_MANY_REQUESTS: when the same call can succeed (sent as `error.data.retryAfterSeconds`). */
  readonly retryAfterSeconds: number | undefined;

  constructor(options: {
    code: TRPC_ERROR_CODE_KEY;
    reason: ErrorReason;
    message: string;
    retryable?: boolean;
    retryAfterSeconds?: number;
  }) {
    super({ code: options.code, message: options.message });
    this.name = "ApiError";
    this.reason = options.reason;
    this.retryable = options.retryable ?? false;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

const sessionMessages: Record<SessionReason, string> = {
  NO_TOKEN: "Sign-in required: send 'Authorization: Bearer <token>' from auth.login.",
  MALFORMED_TOKEN: "The session token is malformed: it is not a token issued by auth.login.",
  UNKNOWN_TOKEN: "The session token is unknown: log in again.",
  EXPIRED: "The session has expired: log in again.",
  REVOKED: "The session was revoked (logged out): log in again.",
  SESSION_KEY_STALE: "WeChat's session_key for this user changed: log in again with a fresh wx.login code, then retry.",
};

export function sessionRefused(reason: SessionReason): ApiError {
  return new ApiError({ code: "UNAUTHORIZED", reason, message: sessionMessages[reason] });
}
