import type { Database } from "@mp-auth/db";
import type { WechatClient } from "@mp-auth/wechat";
import type { AvatarStore } from "./services/avatars.ts";
import type { CodeExchangeCache } from "./services/code-exchange-cache.ts";
import type { RateLimiterAbstract } from "rate-limiter-flexible";
import type { LoginRateLimiters } from "./services/login-guards.ts";
import type { SecretBox } from "./services/secret-box.ts";
import type { SessionCache } from "./services/session-cache.ts";

/** What the API calls at WeChat; the real client (createWechatClient) fits, and so would a double. */
export type WechatApi = Pick<WechatClient, "code2Session" | "getUserPhoneNumber" | "checkSessionKey">;

/**
 * One mini-program this server serves: its appid and the WeChat client that holds its secret and
 * its own access token manager (one token per app).
 */
export interface WechatApp {
  appid: string;
  wechat: WechatApi;
}

/** The minimal logger the API writes to (pino fits). Never pass secrets in `fields`. */
export interface ApiLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/**
 * Everything the API depends on, built once (createApiDependencies, by the server and the tests
 * alike) and shared by all requests.
 */
export interface ApiDependencies {
  db: Database;
  /**
   * The mini-programs this server serves, by appid: at least one (WX_APPID, or WX_APPS). Which one a
   * request is for is resolved per request (services/wechat-apps.ts) into `ctx.app`; users are
   * unique per appid + openid.
   */
  apps: ReadonlyMap<string, WechatApp>;
  sessionTtlSeconds: number;
  /** Encrypts secrets at rest: stored session_keys and cached code exchanges. */
  secretBox: SecretBox;
  logger: ApiLogger;
  loginRateLimiters: LoginRateLimiters;
  /** user.uploadAvatar attempts per user (by user id). */
  uploadRateLimiter: RateLimiterAbstract;
  /** Accept http:// avatar URLs (development: the server's own uploads are served over http). */
  allowHttpAvatarUrls: boolean;
  codeExchangeCache: CodeExchangeCache;
  /** The token-hash lookup cache (services/session-cache.ts); caches nothing by default. */
  sessionCache: SessionCache;
  avatarStore: AvatarStore;
  /** Origin put in avatar URLs; by default the request's own (RequestInfo.origin). */
  publicUrl: string | undefined;
  now?: () => Date;
}

/** Per-request facts taken from the HTTP request. */
export interface RequestInfo {
  authorization?: string | undefined;
  clientIp?: string | undefined;
  userAgent?: string | undefined;
  /** The origin the client reached the server at (scheme and host), for URLs sent back. */
  origin?: string | undefined;
  /** The X-WX-Appid header: the appid the mini-program's build says it is (APPID_HEADER). */
  appid?: string | undefined;
  /** The Referer header: WeChat's names the appid (appidFromWechatReferer). */
  referer?: string | undefined;
  /**
   * Told how long each WeChat API call made for this request took (wechatCall in
   * services/wechat-apps.ts): the server puts the sum on the request's log line (`wechatMs`), so
   * the server's own time is `ms - wechatMs`.
   */
  noteWechatCall?: (ms: number) => void;
}

export interface Context {
  deps: ApiDependencies;
  request: RequestInfo;
  now: () => Date;
}

/** The context of every procedure: the caller's app is resolved before any procedure runs (trpc.ts). */
export interface AppContext extends Context {
  app: WechatApp;
}

/**
 * Builds a context without any HTTP: the server wraps this with header parsing, and tests call it
 * directly with `createCaller(createContextInner(...))`.
 */
export function createContextInner(deps: ApiDependencies, request: RequestInfo = {}): Context {
  return { deps, request, now: deps.now ?? systemNow };
}

/** The clock of a context without its own: one function for every request, not a closure per context. */
const systemNow = () => new Date();
