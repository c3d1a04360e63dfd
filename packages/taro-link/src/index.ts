export { createMiniappClient, type MiniappClient, type MiniappClientOptions } from "./create-miniapp-client.ts";
export type { AuthenticatedOptions, AuthenticatedRequest } from "./authenticated.ts";
export { readTrpcResponse } from "./trpc-response.ts";
export { retryLink } from "./retry-link.ts";
export { reloginLink, type SessionLostEvent } from "./relogin-link.ts";
export { taroRequestLink } from "./taro-request-link.ts";
export { createSessionManager, DEFAULT_STORAGE_KEY, type SessionManager } from "./session.ts";
export { describeError, retryDelay } from "./errors.ts";
export { TaroRequestError } from "./taro-request-error.ts";
export { taroLoginCodeSource } from "./code-source.ts";
export { installAbortControllerPolyfill } from "./abort-polyfill.ts";
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
