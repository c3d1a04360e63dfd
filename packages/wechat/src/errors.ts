/**
 * Errors raised by the WeChat client. Callers branch on `kind` (derived from WeChat's errcode,
 * never from errmsg, whose wording WeChat changes freely) and on `retryable`.
 *
 * Messages are written for a developer reading logs, and are built so they can never carry the
 * app secret, a login or phone code, a session_key, an access_token or the request URL (which holds
 * the secret, the code or the access_token).
 */

export type WechatErrorKind =
  | "invalid_code"
  | "code_used"
  | "user_blocked"
  | "rate_limited"
  | "busy"
  | "config"
  | "missing_code"
  | "timeout"
  | "network"
  | "bad_response"
  | "unknown"
  /** 40001, 42001, 40014: the access_token is invalid, not the latest, or expired. */
  | "access_token_invalid"
  /** 87009: the session_key signature does not match the user's current session_key. */
  | "session_key_invalid"
  /** Local: encryptedData could not be decrypted with the given session_key and iv. */
  | "decrypt_failed"
  /** Local: decrypted data belongs to another appid, or its timestamp is too old. */
  | "watermark_invalid"
  /** 45009: a daily quota is used up; retrying today will not help. */
  | "quota_exhausted"
  /** WeChat says our request is malformed (wrong method, grant_type, sig_method, openid, body). */
  | "invalid_request";

export interface WechatErrcodeInfo {
  kind: WechatErrorKind;
  meaning: string;
  /** What the reader of the log should do; replaces the kind's generic advice in messages. */
  advice?: string;
}

/**
 * The code2Session errcodes WeChat documents, with what each means for us.
 * Any errcode missing from this table becomes kind "unknown".
 */
export const WECHAT_ERRCODES = {
  [-1]: { kind: "busy", meaning: "system busy" },
  40029: { kind: "invalid_code", meaning: "invalid code" },
  40163: { kind: "code_used", meaning: "code already used" },
  40226: { kind: "user_blocked", meaning: "high-risk user blocked" },
  45011: { kind: "rate_limited", meaning: "rate limit reached" },
  40013: { kind: "config", meaning: "invalid appid" },
  40125: { kind: "config", meaning: "invalid secret" },
  41002: { kind: "config", meaning: "appid missing" },
  41004: { kind: "config", meaning: "secret missing" },
  41008: { kind: "missing_code", meaning: "code missing" },
} as const satisfies Record<number, WechatErrcodeInfo>;

export type KnownWechatErrcode = keyof typeof WECHAT_ERRCODES;

/**
 * The answers of every API that takes an access_token when the token is the problem. The access
 * token manager refreshes once and retries once on these (kind "access_token_invalid").
 */
export const ACCESS_TOKEN_ERRCODES = {
  40001: { kind: "access_token_invalid", meaning: "access_token invalid or not the latest" },
  40014: { kind: "access_token_invalid", meaning: "invalid access_token" },
  42001: { kind: "access_token_invalid", meaning: "access_token expired" },
  // Only a bug of ours sends no token at all; a fresh token would not fix it.
  41001: { kind: "invalid_request", meaning: "access_token missing" },
} as const satisfies Record<number, WechatErrcodeInfo>;

/** POST /cgi-bin/stable_token. */
export const STABLE_TOKEN_ERRCODES = {
  [-1]: { kind: "busy", meaning: "system busy" },
  40002: { kind: "invalid_request", meaning: "invalid grant_type" },
  40013: { kind: "config", meaning: "invalid appid" },
  40125: { kind: "config", meaning: "invalid secret" },
  40164: {
    kind: "config",
    meaning: "caller IP not in the IP whitelist",
    advice: "; add this server's IP to the mini-program's API IP whitelist",
  },
  41002: { kind: "config", meaning: "appid missing" },
  41004: { kind: "config", meaning: "secret missing" },
  43002: { kind: "invalid_request", meaning: "POST required" },
  45009: { kind: "quota_exhausted", meaning: "daily limit reached (force_refresh: 20 a day)" },
  45011: { kind: "rate_limited", meaning: "rate limit reached" },
  89503: {
    kind: "config",
    meaning: "this IP needs an administrator's confirmation",
    advice: "; an administrator must confirm the call in the WeChat admin console",
  },
} as const satisfies Record<number, WechatErrcodeInfo>;

/** POST /wxa/business/getuserphonenumber. 40029 here means the PHONE code, not a wx.login code. */
export const PHONE_NUMBER_ERRCODES = {
  ...ACCESS_TOKEN_ERRCODES,
  [-1]: { kind: "busy", meaning: "system busy" },
  40013: { kind: "config", meaning: "invalid appid" },
  40029: {
    kind: "invalid_code",
    meaning: "invalid phone code",
    advice:
      "; the phone code is wrong, already used or older than 5 minutes: ask the user to tap the phone button again",
  },
  45011: { kind: "rate_limited", meaning: "rate limit reached" },
  47001: { kind: "invalid_request", meaning: "data format error" },
} as const satisfies Record<number, WechatErrcodeInfo>;

/** GET /wxa/checksession. 87009 is not an error for checkSessionKey: it answers `false`. */
export const CHECK_SESSION_ERRCODES = {
  ...ACCESS_TOKEN_ERRCODES,
  [-1]: { kind: "busy", meaning: "system busy" },
  40003: { kind: "invalid_request", meaning: "invalid openid" },
  45011: { kind: "rate_limited", meaning: "rate limit reached" },
  87008: { kind: "invalid_request", meaning: "unsupported sig_method" },
  87009: {
    kind: "session_key_invalid",
    meaning: "invalid signature",
    advice: "; the session_key is no longer the user's current one: have the user log in again (wx.login)",
  },
} as const satisfies Record<number, WechatErrcodeInfo>;

/** GET /wxa/resetusersessionkey: the same errcodes as checksession. */
export const RESET_SESSION_KEY_ERRCODES = CHECK_SESSION_ERRCODES;

/** The name each client API uses in messages, and the key of its errcode table. */
export type WechatApiName =
  "code2Session" | "getStableAccessToken" | "getUserPhoneNumber" | "checkSessionKey" | "resetUserSessionKey";

/**
 * Errcodes mean different things per API (40029 is a bad wx.login code for code2Session and a bad
 * phone code for getuserphonenumber), so each API has its own table.
 */
export const WECHAT_API_ERRCODES: Readonly<Record<WechatApiName, Readonly<Record<number, WechatErrcodeInfo>>>> = {
  code2Session: WECHAT_ERRCODES,
  getStableAccessToken: STABLE_TOKEN_ERRCODES,
  getUserPhoneNumber: PHONE_NUMBER_ERRCODES,
  checkSessionKey: CHECK_SESSION_ERRCODES,
  resetUserSessionKey: RESET_SESSION_KEY_ERRCODES,
};

/**
 * Looks an errcode up in the table of `api` (code2Session by default, as before the other APIs
 * existed); undefined for errcodes we do not know.
 */
export function describeWechatErrcode(
  errcode: number,
  api: WechatApiName = "code2Session",
): WechatErrcodeInfo | undefined {
  const table = WECHAT_API_ERRCODES[api];
  // Own-property check so inherited names ("toString", ...) can never match.
  if (!Object.hasOwn(table, errcode)) return undefined;
  return table[errcode];
}

/** Kinds where the same request may succeed later: WeChat was momentarily unable, not unwilling. */
export const RETRYABLE_WECHAT_ERROR_KINDS: ReadonlySet<WechatErrorKind> = new Set<WechatErrorKind>([
  "busy",
  "timeout",
  "network",
  "rate_limited",
]);

export interface WechatErrorOptions {
  kind: WechatErrorKind;
  message: string;
  errcode?: number | undefined;
  /** HTTP status of WeChat's answer, set for bad_response errors caused by a non-2xx status. */
  httpStatus?: number | undefined;
  /** Must already be free of secrets: the client wraps fetch errors before passing them here. */
  cause?: Error | undefined;
}

export class WechatError extends Error {
  override readonly name = "WechatError";
  readonly kind: WechatErrorKind;
  // `declare`: an absent errcode stays absent, instead of an own property holding undefined.
  declare readonly errcode?: number;
  declare readonly httpStatus?: number;
  readonly retryable: boolean;

  constructor(options: WechatErrorOptions) {
    super(options.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.kind = options.kind;
    // Assigned only when present so logs and JSON do not show `errcode: undefined`.
    if (options.errcode !== undefined) this.errcode = options.errcode;
    if (options.httpStatus !== undefined) this.httpStatus = options.httpStatus;
    this.retryable = RETRYABLE_WECHAT_ERROR_KINDS.has(options.kind);
  }

  /** Structured loggers serialise errors with JSON.stringify: give them the useful, safe fields. */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      kind: this.kind,
      ...(this.errcode === undefined ? {} : { errcode: this.errcode }),
      ...(this.httpStatus === undefined ? {} : { httpStatus: this.httpStatus }),
      retryable: this.retryable,
      message: this.message,
    };
  }
}

/**
 * instanceof fails when two copies of this package end up in one bundle; this checks the shape too.
 */
export function isWechatError(value: unknown): value is WechatError {
  if (value instanceof WechatError) return true;
  return (
    value instanceof Error &&
    value.name === "WechatError" &&
    typeof (value as { kind?: unknown }).kind === "string" &&
    typeof (value as { retryable?: unknown }).retryable === "boolean"
  );
}

/** The failure withAccessToken answers with one refresh and one retry. */
export function isAccessTokenError(value: unknown): value is WechatError {
  return isWechatError(value) && value.kind === "access_token_invalid";
}
