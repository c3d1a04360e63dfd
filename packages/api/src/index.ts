export { appRouter, createCaller, type AppRouter, type RouterInputs, type RouterOutputs } from "./root.ts";
export {
  createContextInner,
  type ApiDependencies,
  type ApiLogger,
  type Context,
  type RequestInfo,
  type WechatLogin,
} from "./context.ts";
export {
  ApiError,
  ERROR_TAXONOMY,
  SESSION_REASONS,
  type ClientAction,
  type ErrorReason,
  type SessionReason,
} from "./errors.ts";
export { createSessionKeyCipher, type SessionKeyCipher } from "./services/session-key-cipher.ts";
export type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
export { createMemoryCodeExchangeCache, type CodeExchangeCache } from "./services/code-exchange-cache.ts";
export {
  createMemoryLoginRateLimiters,
  type LoginRateLimiters,
  type LoginRateLimitSettings,
} from "./services/login-guards.ts";
export { authenticateSession, purgeEndedSessions, type AuthenticatedSession } from "./services/sessions.ts";
