import type { Database } from "@mp-auth/db";
import type { Code2SessionResult, WechatServerApi } from "@mp-auth/wechat";
import type { CodeExchangeCache } from "./services/code-exchange-cache.ts";
import type { LoginRateLimiters } from "./services/login-guards.ts";
import type { SessionKeyCipher } from "./services/session-key-cipher.ts";

/** What the API needs from WeChat for login; the real client and test doubles both fit. */
export interface WechatLogin {
  code2Session(code: string): Promise<Code2SessionResult>;
}

/** The minimal logger the API writes to (pino fits). Never pass secrets in `fields`. */
export interface ApiLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/** Everything the API depends on, built once by the server (or by a test) and shared by all requests. */
export interface ApiDependencies {
  db: Database;
  wechat: WechatLogin;
  /** WeChat APIs that need an access_token (phone number, checksession). */
  wechatServer: Pick<WechatServerApi, "getUserPhoneNumber" | "checkSessionKey">;
  /** The mini-program's appid: users are unique per appid + openid. */
  appid: string;
  sessionTtlSeconds: number;
  sessionKeyCipher: SessionKeyCipher;
  logger: ApiLogger;
  loginRateLimiters: LoginRateLimiters;
  /** Accept http:// avatar URLs (development: the server's own uploads are served over http). */
  allowHttpAvatarUrls: boolean;
  codeExchangeCache: CodeExchangeCache;
  now?: () => Date;
}

/** Per-request facts taken from the HTTP request. */
export interface RequestInfo {
  authorization?: string | undefined;
  clientIp?: string | undefined;
  userAgent?: string | undefined;
}

export interface Context {
  deps: ApiDependencies;
  request: RequestInfo;
  now: () => Date;
}

/**
 * Builds a context without any HTTP: the server wraps this with header parsing, and tests call it
 * directly with `appRouter.createCaller(createContextInner(...))`.
 */
export function createContextInner(deps: ApiDependencies, request: RequestInfo = {}): Context {
  return { deps, request, now: deps.now ?? (() => new Date()) };
}
