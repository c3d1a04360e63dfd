export {
  createMiniappClient,
  type MiniappClient,
  type MiniappClientOptions,
  type MiniappSession,
} from "./create-miniapp-client.ts";
export {
  sessionLink,
  isSessionError,
  DEFAULT_RELOGIN_REASONS,
  type SessionLinkOptions,
  type SessionLostEvent,
} from "./session-link.ts";
export {
  createSessionManager,
  AUTH_ATTEMPT_CONTEXT_KEY,
  DEFAULT_EXPIRY_MARGIN_MS,
  DEFAULT_LOGIN_PATH,
  DEFAULT_RELOGIN_COOLDOWN_MS,
  DEFAULT_STORAGE_KEY,
  type AuthAttempt,
  type LogoutResult,
  type SessionManager,
  type SessionManagerOptions,
  type StoredSession,
} from "./session.ts";
export { taroRequestLink, DEFAULT_MAX_URL_LENGTH, type TaroRequestLinkOptions } from "./taro-request-link.ts";
export {
  taroFetch,
  DEFAULT_MAX_CONCURRENT_REQUESTS,
  DEFAULT_TIMEOUT_MS,
  type FetchLike,
  type TaroFetch,
  type TaroFetchOptions,
  type TaroResponse,
} from "./taro-fetch.ts";
export { TaroRequestError, type TaroRequestErrorKind } from "./taro-request-error.ts";
export { describeError, retryDelay, type ClientAction, type ErrorDescription, type RetryOptions } from "./taxonomy.ts";
export { taroLoginCodeSource, type CodeSource } from "./code-source.ts";
export {
  installAbortControllerPolyfill,
  findGlobalObject,
  MiniAbortController,
  MiniAbortSignal,
} from "./abort-polyfill.ts";
export type {
  HttpMethod,
  RequestTaskLike,
  TaroCallbackError,
  TaroCheckSessionOptions,
  TaroLike,
  TaroLoginOptions,
  TaroRequestOptions,
  TaroRequestSuccess,
} from "./taro-like.ts";
