export {
  appRouter,
  createCaller,
  procedureMethod,
  type AppRouter,
  type RouterInputs,
  type RouterOutputs,
} from "./root.ts";
export { procedureWantsAbortSignal, type ProcedureMeta } from "./trpc.ts";
export { createContextInner, type ApiDependencies, type RequestInfo, type WechatApp } from "./context.ts";
export {
  avatarStorages,
  createApiDependencies,
  type ApiConfig,
  type AvatarStorage,
  type WechatAppCredentials,
  type WechatSettings,
  type WiredApi,
} from "./dependencies.ts";
export { findLinkedAccounts, findUsersByUnionid, type LinkedAccount } from "./services/linked-accounts.ts";
export { ApiError } from "./errors.ts";
export { errorEnvelope, formatError, type FormattedError } from "./error-format.ts";
export {
  AVATAR_PATH_PREFIX,
  createLocalAvatarStore,
  storedAvatarType,
  sweepUnreferencedAvatars,
  type AvatarStore,
  type StoredAvatar,
  type StoredAvatarEntry,
} from "./services/avatars.ts";
export { createDatabaseAvatarStore } from "./services/database-avatar-store.ts";
export { DEFAULT_UPLOAD_RATE_LIMIT_PER_HOUR } from "./services/upload-limits.ts";
export { purgeEndedSessions } from "./services/sessions.ts";
export {
  findUsers,
  listUserLoginAttempts,
  listUserSessions,
  OPERATOR_LOGINS_MAX,
  revokeSessionAsOperator,
  userLookupKinds,
  type OperatorRevokeOutcome,
  type OperatorUser,
  type UserLookupKind,
} from "./services/operator.ts";
export {
  addressNetwork,
  DEFAULT_LOGIN_HISTORY_RETENTION_DAYS,
  loginAttemptResults,
  purgeLoginHistory,
  type LoginAttemptResult,
} from "./services/login-history.ts";
export {
  banUser,
  getAccountStatus,
  unbanUser,
  type AccountState,
  type AccountStatus,
} from "./services/account-status.ts";
export { deleteAccount } from "./services/account-deletion.ts";
// Kept for clients written against the api's names; the contract is where they live.
export type { ClientAction } from "@mp-auth/contract";
export type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
