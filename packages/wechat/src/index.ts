export { createWechatClient } from "./client.ts";
export type { WechatClient, WechatClientOptions } from "./client.ts";
export type { Code2SessionResult } from "./code2session.ts";
export { createAccessTokenManager, createInMemoryAccessTokenStore } from "./access-token.ts";
export type {
  AccessTokenManager,
  AccessTokenManagerOptions,
  AccessTokenStore,
  CachedAccessToken,
} from "./access-token.ts";
export { requestStableAccessToken } from "./stable-token.ts";
export type { StableAccessToken, StableAccessTokenRequest } from "./stable-token.ts";
export { createWechatServerApi } from "./server-api.ts";
export type { WechatServerApi, WechatServerApiOptions } from "./server-api.ts";
export { requestUserPhoneNumber } from "./phone-number.ts";
export type { PhoneNumberInfo, UserPhoneNumberRequest } from "./phone-number.ts";
export { requestCheckSessionKey, requestResetUserSessionKey } from "./session-key.ts";
export type { ResetSessionKeyResult, SessionKeyRequest } from "./session-key.ts";
export {
  decryptAndVerifyUserData,
  decryptUserData,
  encryptUserData,
  hmacSha256Hex,
  rawDataSignature,
  sessionKeySignature,
  verifyRawDataSignature,
  verifyWatermark,
} from "./crypto.ts";
export type {
  DecryptAndVerifyRequest,
  DecryptUserDataRequest,
  EncryptUserDataRequest,
  EncryptedUserData,
  VerifyWatermarkOptions,
  Watermark,
} from "./crypto.ts";
export {
  WechatError,
  WECHAT_ERRCODES,
  ACCESS_TOKEN_ERRCODES,
  STABLE_TOKEN_ERRCODES,
  PHONE_NUMBER_ERRCODES,
  CHECK_SESSION_ERRCODES,
  RESET_SESSION_KEY_ERRCODES,
  WECHAT_API_ERRCODES,
  describeWechatErrcode,
} from "./errors.ts";
export type {
  KnownWechatErrcode,
  WechatApiName,
  WechatErrcodeInfo,
  WechatErrorKind,
  WechatErrorOptions,
} from "./errors.ts";
