import type { ErrorReason } from "@mp-auth/contract";
import type { WechatError, WechatErrorKind } from "@mp-auth/wechat";
import { ApiError } from "./errors.ts";

/**
 * WeChat refusal -> our reason, in one place. packages/wechat knows the protocol (errcode -> kind);
 * this file knows what a kind means to a caller of OUR API, which depends on the WeChat call it came
 * from: 40029 on code2Session is a stale login code (relogin), on getuserphonenumber a stale phone
 * code (show). Each table is a Record over every kind, so a kind added to packages/wechat fails the
 * typecheck here until someone decides what it means.
 */
const SERVICE_FAILURES = {
  rate_limited: "WX_RATE_LIMITED",
  busy: "WX_BUSY",
  timeout: "WX_TIMEOUT",
  config: "WX_MISCONFIGURED",
  network: "WX_UNAVAILABLE",
  bad_response: "WX_UNAVAILABLE",
  unknown: "WX_UNAVAILABLE",
  // Still refused after the access token manager's one refresh and retry.
  access_token_invalid: "WX_UNAVAILABLE",
  quota_exhausted: "WX_UNAVAILABLE",
  invalid_request: "WX_UNAVAILABLE",
} as const satisfies Partial<Record<WechatErrorKind, ErrorReason>>;

/** code2Session (auth.login). */
const LOGIN_REASONS: Record<WechatErrorKind, ErrorReason> = {
  ...SERVICE_FAILURES,
  invalid_code: "WX_CODE_INVALID",
  missing_code: "WX_CODE_INVALID",
  code_used: "WX_CODE_USED",
  user_blocked: "WX_USER_BLOCKED",
  // Not answered by code2Session; a bug on our side if ever seen, reported as WeChat trouble.
  session_key_invalid: "WX_UNAVAILABLE",
  decrypt_failed: "WX_UNAVAILABLE",
  watermark_invalid: "WX_UNAVAILABLE",
};

/** getuserphonenumber and the legacy encryptedData of the getPhoneNumber button (user.bindPhone). */
const PHONE_REASONS: Record<WechatErrorKind, ErrorReason> = {
  ...SERVICE_FAILURES,
  invalid_code: "PHONE_CODE_INVALID",
  watermark_invalid: "ENCRYPTED_DATA_INVALID",
  session_key_invalid: "SESSION_KEY_STALE",
  // Undecryptable data is judged with checksession in services/phone.ts before it gets here.
  decrypt_failed: "ENCRYPTED_DATA_INVALID",
  missing_code: "WX_UNAVAILABLE",
  code_used: "WX_UNAVAILABLE",
  user_blocked: "WX_UNAVAILABLE",
};

const REASONS_BY_CALL = { login: LOGIN_REASONS, phone: PHONE_REASONS } as const;
export type WechatCall = keyof typeof REASONS_BY_CALL;

/** WeChat asks to wait; it does not say how long. A minute is what its rate limits last. */
const WECHAT_RATE_LIMIT_RETRY_SECONDS = 60;

/** The ApiError for a WeChat refusal met during `call`. Messages are the table's: never WeChat's text. */
export function wechatRefusal(call: WechatCall, error: WechatError): ApiError {
  const reason = REASONS_BY_CALL[call][error.kind];
  return new ApiError(
    reason,
    reason === "WX_RATE_LIMITED" ? { retryAfterSeconds: WECHAT_RATE_LIMIT_RETRY_SECONDS } : {},
  );
}
