/**
 * Errors raised by the WeChat client. Callers branch on `kind` (derived from WeChat's errcode,
 * never from errmsg, whose wording WeChat changes freely) and on `retryable`.
 *
 * Messages are written for a developer reading logs, and are built so they can never carry the
 * app secret, the login code, a session_key or the request URL (which holds the secret and code).
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
  | "unknown";

export interface WechatErrcodeInfo {
  kind: WechatErrorKind;
  meaning: string;
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

/** Looks an errcode up in WECHAT_ERRCODES; undefined for errcodes we do not know. */
export function describeWechatErrcode(errcode: number): WechatErrcodeInfo | undefined {
  // Own-property check so inherited names ("toString", ...) can never match.
  if (!Object.hasOwn(WECHAT_ERRCODES, errcode)) return undefined;
  return (WECHAT_ERRCODES as Record<number, WechatErrcodeInfo>)[errcode];
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
