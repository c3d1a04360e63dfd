/**
 * The error taxonomy: every reason the server can answer with, the tRPC code (and so the HTTP
 * status) it travels as, and what a client does about it. The server raises errors by reason, the
 * Taro link acts on the action, the mini-program words each reason in Chinese, and the README's
 * table is checked against these rows by a test: one table for the whole stack.
 */

/**
 * What a client should do about an error, sent as `error.data.action`.
 * - relogin: get a fresh wx.login code, call auth.login, retry the call once.
 * - retry: retry the same call later, with backoff (after `retryAfterSeconds` when given).
 * - show: tell the user (or the developer); retrying the same call will not help.
 * - block: this user may not sign in; stop logging in automatically and show why.
 */
export const CLIENT_ACTIONS = ["relogin", "retry", "show", "block"] as const;
export type ClientAction = (typeof CLIENT_ACTIONS)[number];

/** The tRPC error codes this API answers with, and the HTTP status tRPC gives each. */
export const HTTP_STATUS_BY_CODE = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_SUPPORTED: 405,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  TOO_MANY_REQUESTS: 429,
  INTERNAL_SERVER_ERROR: 500,
  BAD_GATEWAY: 502,
  SERVICE_UNAVAILABLE: 503,
  GATEWAY_TIMEOUT: 504,
} as const;
export type ErrorCode = keyof typeof HTTP_STATUS_BY_CODE;

export interface TaxonomyRow {
  code: ErrorCode;
  action: ClientAction;
  /** Where the error comes from: WeChat errcodes (and the API that gives them) or our own check. */
  source: string;
  /** The default English message, for developers (the mini-program shows its own Chinese text). */
  message: string;
}

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
    source: "input validation, malformed JSON or multipart",
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
  ACCOUNT_BANNED: {
    code: "FORBIDDEN",
    action: "block",
    source: "an operator banned this user (banUser); also refuses auth.login until the ban ends or is lifted",
    message: "This account is banned.",
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
    source:
      "an id that names nothing of the caller's: auth.revoke of a session not yours or not live, notes.update / notes.delete of a note not yours or gone, an operator command on an unknown or deleted account",
    message: "Not found.",
  },
  UPLOAD_TOO_LARGE: {
    code: "PAYLOAD_TOO_LARGE",
    action: "show",
    source: "an avatar over AVATAR_MAX_BYTES, or a request body over the server's limit",
    message: "The upload is too large.",
  },
  UPLOAD_UNSUPPORTED_TYPE: {
    code: "UNSUPPORTED_MEDIA_TYPE",
    action: "show",
    source: "an avatar whose first bytes are not PNG, JPEG, GIF or WebP",
    message: "The avatar must be a PNG, JPEG, GIF or WebP image.",
  },
  ROUTE_NOT_FOUND: {
    code: "NOT_FOUND",
    action: "show",
    source: "a path the server does not serve, or an unknown procedure",
    message: "Not found. The API is served under /trpc.",
  },
  METHOD_NOT_ALLOWED: {
    code: "METHOD_NOT_SUPPORTED",
    action: "show",
    source: "a method the path does not take (a query by POST, a mutation by GET, DELETE...)",
    message: "This method is not allowed here.",
  },
  DATABASE_UNAVAILABLE: {
    code: "SERVICE_UNAVAILABLE",
    action: "retry",
    source: "the database does not answer, its file is gone or read-only (also /healthz)",
    message: "The database is unavailable.",
  },
  UPLOAD_RATE_LIMITED: {
    code: "TOO_MANY_REQUESTS",
    action: "retry",
    source: "more avatar uploads by one user than UPLOAD_RATE_LIMIT_PER_USER per hour",
    message: "Too many uploads: retry later.",
  },
  BATCH_TOO_LARGE: {
    code: "BAD_REQUEST",
    action: "show",
    source: "a tRPC batch of more calls than the server's limit",
    message: "Too many calls in one batch.",
  },
  DATABASE_BUSY: {
    code: "SERVICE_UNAVAILABLE",
    action: "retry",
    source: "the database's write lock was not obtained in time (another process holds it)",
    message: "The database is busy: retry shortly.",
  },
  OVERLOADED: {
    code: "SERVICE_UNAVAILABLE",
    action: "retry",
    source: "more requests in flight than the server serves at once (answered at once, with Retry-After)",
    message: "The server is overloaded: retry shortly.",
  },
  QUOTA_EXCEEDED: {
    code: "FORBIDDEN",
    action: "show",
    source: "a user already keeps the most a feature allows (notes.create at NOTES_MAX_PER_USER notes)",
    message: "You have reached the most you may keep here: delete some first.",
  },
  // Several mini-programs on one server (README "Several mini-programs"): which app a request is for.
  UNKNOWN_APPID: {
    code: "BAD_REQUEST",
    action: "show",
    source: "X-WX-Appid or the servicewechat.com Referer names an appid this server does not serve",
    message: "This server serves no mini-program with the appid this request names: check TARO_APP_ID and WX_APPS.",
  },
  APPID_REQUIRED: {
    code: "BAD_REQUEST",
    action: "show",
    source: "several apps configured (WX_APPS) and the request names none",
    message: "This server serves several mini-programs: send the app's appid in the X-WX-Appid header.",
  },
  APPID_MISMATCH: {
    code: "BAD_REQUEST",
    action: "show",
    source: "X-WX-Appid and the servicewechat.com Referer name different appids",
    message: "The X-WX-Appid header and WeChat's Referer name different apps: rebuild with the right TARO_APP_ID.",
  },
  INTERNAL: {
    code: "INTERNAL_SERVER_ERROR",
    action: "retry",
    source: "an unexpected fault (logged server-side with its cause)",
    message: "Internal server error.",
  },
} as const satisfies Record<string, TaxonomyRow>;

export type ErrorReason = keyof typeof ERROR_TAXONOMY;
// Marked pure: a bundle that never reads ERROR_REASONS (the Taro link) then drops the whole table.
export const ERROR_REASONS = /* @__PURE__ */ Object.keys(ERROR_TAXONOMY) as ErrorReason[];

/** Reasons a fresh login fixes on a protected call: the Taro link logs in again and retries once. */
export const SESSION_REASONS = [
  "NO_TOKEN",
  "MALFORMED_TOKEN",
  "UNKNOWN_TOKEN",
  "EXPIRED",
  "REVOKED",
  "SESSION_KEY_STALE",
] as const satisfies readonly ErrorReason[];
export type SessionReason = (typeof SESSION_REASONS)[number];

export function isErrorReason(value: unknown): value is ErrorReason {
  return typeof value === "string" && Object.prototype.hasOwnProperty.call(ERROR_TAXONOMY, value);
}

export function isClientAction(value: unknown): value is ClientAction {
  return typeof value === "string" && (CLIENT_ACTIONS as readonly string[]).indexOf(value) >= 0;
}

export function isSessionReason(value: unknown): value is SessionReason {
  return typeof value === "string" && (SESSION_REASONS as readonly string[]).indexOf(value) >= 0;
}
