export {
  CLIENT_ACTIONS,
  ERROR_REASONS,
  ERROR_TAXONOMY,
  HTTP_STATUS_BY_CODE,
  SESSION_REASONS,
  isClientAction,
  isErrorReason,
  isSessionReason,
  type ClientAction,
  type ErrorCode,
  type ErrorReason,
  type SessionReason,
  type TaxonomyRow,
} from "./error-taxonomy.ts";
export {
  readErrorData,
  type ErrorData,
  type ErrorEnvelope,
  type InputIssue,
  type ReadErrorData,
} from "./error-data.ts";
export {
  AVATAR_IMAGE_TYPES,
  AVATAR_MAX_BYTES,
  AVATAR_UPLOAD_FIELD,
  AVATAR_UPLOAD_PATH,
  AVATAR_UPLOAD_PROCEDURE,
  AVATAR_URL_MAX_LENGTH,
  INPUT_RULES,
  NICKNAME_MAX_GRAPHEMES,
  countGraphemes,
  isTemporaryFilePath,
  nicknameProblem,
  nicknameRuleMessage,
  type InputIssueCode,
  type SegmenterFactory,
} from "./input-rules.ts";
export { APPID_HEADER, APPID_PATTERN, appidFromWechatReferer } from "./wechat-app.ts";
