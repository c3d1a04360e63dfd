import { TRPCError } from "@trpc/server";
import type { TRPC_ERROR_CODE_KEY } from "@trpc/server/rpc";

/**
 * What a client should do about an error. The server decides and sends it as `error.data.action`,
 * so clients (the Taro link first) act on one field instead of keeping their own list of reasons.
 * - relogin: get a fresh wx.login code, call auth.login, retry the call once.
 * - retry: retry the same call later, with backoff (after `retryAfterSeconds` when given).
 * - show: tell the user (or the developer); retrying the same call will not help.
 * - block: WeChat refuses this user; stop logging in automatically and show why.
 */
export type ClientAction = "relogin" | "retry" | "show" | "block";

interface TaxonomyRow {
  code: TRPC_ERROR_CODE_KEY;
  action: ClientAction;
  /** Where the error comes from: WeChat errcodes (and the API that gives them) or our own check. */
  source: string;
  message: string;
}

/**
 * The error taxonomy: WeChat errcode -> domain reason -> tRPC code -> client action. README's table
 * is checked against this one by a test, and every row is triggered end to end by the API tests.
 */
export const ERROR_TAXONOMY = {
  NO_TOKEN: {
    code: "UNAUTHORIZED",
    action: "relogin",
    source: "no Authorization header",
    message: "Sign-in required: send 'Authorization: Bearer <token>' from auth.login.",
  },
  MALFORMED_TOKEN: {
    code: "UNAUTHORIZED",
    action: "relogin",
    source: "Authorization is not a token auth.login issues",
    message: "The session token is malformed: it is not a token issued by auth.login.",
  },
  UNKNOWN_TOKEN: {
    code: "UNAUTHORIZED",
    action: "relogin",
    source: "no session has this token",
    message: "The session token is unknown: log in again.",
  },
  EXPIRED: {
    code: "UNAUTHORIZED",
    action: "relogin",
    source: "session past SESSION_TTL_SECONDS",
    message: "The session has expired: log in again.",
  },
  REVOKED: {
    code: "UNAUTHORIZED",
    action: "relogin",
    source: "auth.logout / auth.revoke / auth.logoutAll",
    message: "The session was revoked (logged out): log in again.",
  },
  SESSION_KEY_STALE: {
    code: "UNAUTHORIZED",
    action: "relogin",
    source: "checksession 87009, or encryptedData does not decrypt with the stored session_key",
    message: "WeChat's session_key for this user changed: log in again with a fresh wx.login code, then retry.",
  },
  INVALID_INPUT: {
    code: "BAD_REQUEST",
    action: "show",
    source: "input validation, malformed JSON",
    message: "Invalid input.",
  },
  WX_CODE_INVALID: {
    code: "BAD_REQUEST",
    action: "relogin",
    source: "code2Session 40029, 41008",
    message: "WeChat rejected the login code as invalid or expired: call wx.login for a new one.",
  },
  WX_CODE_USED: {
    code: "BAD_REQUEST",
    action: "relogin",
    source: "code2Session 40163 (and not a repeat of our own exchange)",
    message: "This login code was already used: call wx.login for a new one.",
  },
  WX_USER_BLOCKED: {
    code: "FORBIDDEN",
    action: "block",
    source: "code2Session 40226",
    message: "WeChat blocked this login as high-risk (errcode 40226).",
  },
  WX_RATE_LIMITED: {
    code: "TOO_MANY_REQUESTS",
    action: "retry",
    source: "45011 from any WeChat API",
    message: "WeChat is rate-limiting this user: retry in a minute.",
  },
  LOGIN_RATE_LIMITED: {
    code: "TOO_MANY_REQUESTS",
    action: "retry",
    source: "our auth.login limits per IP / per openid",
    message: "Too many logins: retry later.",
  },
  WX_BUSY: {
    code: "SERVICE_UNAVAILABLE",
    action: "retry",
    source: "-1 from any WeChat API",
    message: "WeChat is busy (errcode -1): retry shortly.",
  },
  WX_TIMEOUT: {
    code: "GATEWAY_TIMEOUT",
    action: "retry",
    source: "WeChat did not answer within WX_TIMEOUT_MS",
    message: "WeChat did not answer in time: retry shortly.",
  },
  WX_UNAVAILABLE: {
    code: "BAD_GATEWAY",
    action: "retry",
    source: "network failure, non-JSON answer, unknown errcode, access token refused twice (40001/42001/40014)",
    message: "WeChat could not be reached or answered unexpectedly: retry shortly.",
  },
  WX_MISCONFIGURED: {
    code: "INTERNAL_SERVER_ERROR",
    action: "show",
    source: "40013, 40125, 41002, 41004 (our appid / secret)",
    message: "WeChat refused this server's appid or secret: the operator must check WX_APPID and WX_SECRET.",
  },
  PHONE_CODE_INVALID: {
    code: "BAD_REQUEST",
    action: "show",
    source: "getuserphonenumber 40029 (phone code invalid, used or expired)",
    message: "The phone number code is invalid or expired: tap the button again.",
  },
  ENCRYPTED_DATA_INVALID: {
    code: "BAD_REQUEST",
    action: "show",
    source:
      "data for another appid, a stale watermark, or data corrupted in transit (checksession says our key is current)",
    message: "The encrypted data is not for this app or is too old: tap the button again.",
  },
  NOT_FOUND: {
    code: "NOT_FOUND",
    action: "show",
    source: "auth.revoke of a session that is not yours or not live",
    message: "Not found.",
  },
} as const satisfies Record<string, TaxonomyRow>;

export type ErrorReason = keyof typeof ERROR_TAXONOMY;

/** Reasons a fresh login fixes on a protected call: the Taro link relogs in and retries once. */
export const SESSION_REASONS = [
  "NO_TOKEN",
  "MALFORMED_TOKEN",
  "UNKNOWN_TOKEN",
  "EXPIRED",
  "REVOKED",
  "SESSION_KEY_STALE",
] as const satisfies readonly ErrorReason[];
export type SessionReason = (typeof SESSION_REASONS)[number];

/**
 * A TRPCError with a machine-readable `reason` and `action`, sent as `error.data.reason`,
 * `error.data.action` and `error.data.retryable`.
 */
export class ApiError extends TRPCError {
  readonly reason: ErrorReason;
  readonly action: ClientAction;
  /** For TOO_MANY_REQUESTS: when the same call can succeed (sent as `error.data.retryAfterSeconds`). */
  readonly retryAfterSeconds: number | undefined;

  constructor(reason: ErrorReason, options: { message?: string; retryAfterSeconds?: number } = {}) {
    const row: TaxonomyRow = ERROR_TAXONOMY[reason];
    super({ code: row.code, message: options.message ?? row.message });
    this.name = "ApiError";
    this.reason = reason;
    this.action = row.action;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }

  get retryable(): boolean {
    return this.action === "retry";
  }
}

export function sessionRefused(reason: SessionReason): ApiError {
  return new ApiError(reason);
}
