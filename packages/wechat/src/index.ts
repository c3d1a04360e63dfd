export { createWechatClient, WECHAT_DEFAULT_BASE_URL, WECHAT_DEFAULT_TIMEOUT_MS } from "./client.ts";
export type { WechatClient, WechatClientOptions } from "./client.ts";
export type { Code2SessionResult } from "./code2session.ts";
export {
  WechatError,
  WECHAT_ERRCODES,
  RETRYABLE_WECHAT_ERROR_KINDS,
  describeWechatErrcode,
  isWechatError,
} from "./errors.ts";
export type { KnownWechatErrcode, WechatErrcodeInfo, WechatErrorKind, WechatErrorOptions } from "./errors.ts";
