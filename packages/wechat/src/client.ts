import { createAccessTokenManager } from "./access-token.ts";
import type { AccessTokenManager, AccessTokenManagerOptions } from "./access-token.ts";
import { code2Session } from "./code2session.ts";
import type { Code2SessionResult } from "./code2session.ts";
import {
  WECHAT_DEFAULT_BASE_URL,
  WECHAT_DEFAULT_TIMEOUT_MS,
  checkPositive,
  configError,
  normaliseBaseUrl,
} from "./options.ts";
import { createWechatServerApi } from "./server-api.ts";
import type { WechatServerApi } from "./server-api.ts";

export interface WechatClientOptions {
  appid: string;
  /** The mini-program's AppSecret. It only ever leaves this process inside the request to WeChat. */
  secret: string;
  /** Point it at the mock WeChat server in development and tests. */
  baseUrl?: string;
  /** Per call, covering connect, headers and body. */
  timeoutMs?: number;
  /** Tuning of the access token manager the client builds (store, margin, backoff, clock, onRefreshError). */
  accessTokens?: Omit<AccessTokenManagerOptions, "appid" | "secret" | "baseUrl" | "timeoutMs">;
  /**
   * A manager built elsewhere, for the same appid, to share instead of building one (then
   * `accessTokens` is not allowed). Either way a process needs ONE manager per app: two would each
   * fetch and cache a token, doubling stable_token calls.
   */
  accessTokenManager?: AccessTokenManager;
}

export interface WechatClient extends WechatServerApi {
  /** Exchanges a wx.login code. Needs no access_token. Rejects with WechatError only. */
  code2Session(code: string): Promise<Code2SessionResult>;
  /** The manager the server APIs share; no request is made until a server API is first called. */
  accessTokens: AccessTokenManager;
}

const WHAT = "WeChat client";

export function createWechatClient(options: WechatClientOptions): WechatClient {
  const { appid, secret } = options;
  // Configuration mistakes fail at startup, not on the first user's login.
  if (!appid) throw configError(WHAT, "appid is empty");
  if (!secret) throw configError(WHAT, "secret is empty");
  const timeoutMs = checkPositive(options.timeoutMs ?? WECHAT_DEFAULT_TIMEOUT_MS, "timeoutMs", WHAT);
  const baseUrl = normaliseBaseUrl(options.baseUrl ?? WECHAT_DEFAULT_BASE_URL, WHAT);

  if (options.accessTokenManager && options.accessTokens) {
    throw configError(WHAT, "pass accessTokens (to build the manager) or accessTokenManager (to share one), not both");
  }
  const accessTokens =
    options.accessTokenManager ??
    createAccessTokenManager({ ...options.accessTokens, appid, secret, baseUrl, timeoutMs });
  return {
    code2Session: (code) => code2Session({ baseUrl, appid, secret, code, timeoutMs }),
    ...createWechatServerApi({ accessTokens, baseUrl, timeoutMs }),
    accessTokens,
  };
}
