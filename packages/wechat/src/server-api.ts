/**
 * The WeChat server APIs that need an access_token, bound to an access token manager: each call
 * gets the shared token and, on a token error, one refresh and one retry.
 */
import type { AccessTokenManager } from "./access-token.ts";
import { WECHAT_DEFAULT_BASE_URL, WECHAT_DEFAULT_TIMEOUT_MS, checkPositive, normaliseBaseUrl } from "./options.ts";
import { requestUserPhoneNumber } from "./phone-number.ts";
import type { PhoneNumberInfo } from "./phone-number.ts";
import { requestCheckSessionKey, requestResetUserSessionKey } from "./session-key.ts";
import type { ResetSessionKeyResult } from "./session-key.ts";

export interface WechatServerApiOptions {
  accessTokens: AccessTokenManager;
  baseUrl?: string;
  timeoutMs?: number;
}

export interface WechatServerApi {
  /** Exchanges a getPhoneNumber button code (single use, 5 minutes). Rejects with WechatError only. */
  getUserPhoneNumber(request: { code: string; openid?: string | undefined }): Promise<PhoneNumberInfo>;
  /** True while `sessionKey` is the user's current session_key, false when WeChat says it is not (87009). */
  checkSessionKey(request: { openid: string; sessionKey: string }): Promise<boolean>;
  /** Makes WeChat issue a new session_key; `sessionKey` must be the current one (else session_key_invalid). */
  resetUserSessionKey(request: { openid: string; sessionKey: string }): Promise<ResetSessionKeyResult>;
}

const WHAT = "WeChat server API";

export function createWechatServerApi(options: WechatServerApiOptions): WechatServerApi {
  const { accessTokens } = options;
  const baseUrl = normaliseBaseUrl(options.baseUrl ?? WECHAT_DEFAULT_BASE_URL, WHAT);
  const timeoutMs = checkPositive(options.timeoutMs ?? WECHAT_DEFAULT_TIMEOUT_MS, "timeoutMs", WHAT);
  return {
    getUserPhoneNumber: ({ code, openid }) =>
      accessTokens.withAccessToken((accessToken) =>
        requestUserPhoneNumber({ baseUrl, timeoutMs, accessToken, code, openid }),
      ),
    checkSessionKey: ({ openid, sessionKey }) =>
      accessTokens.withAccessToken((accessToken) =>
        requestCheckSessionKey({ baseUrl, timeoutMs, accessToken, openid, sessionKey }),
      ),
    resetUserSessionKey: ({ openid, sessionKey }) =>
      accessTokens.withAccessToken((accessToken) =>
        requestResetUserSessionKey({ baseUrl, timeoutMs, accessToken, openid, sessionKey }),
      ),
  };
}
