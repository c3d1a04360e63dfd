import { describeError, type ClientAction } from "@mp-auth/taro-link";
import { NICKNAME_MAX_CHARACTERS } from "./nickname";
import type { PhoneButtonOutcome } from "./phone-number";
import { messagesByReason } from "./error-messages";

/**
 * Turns a failed profile operation into what the page shows. taro-link's describeError gives the
 * action the server chose (show / retry / relogin / block); the text is ours, in Chinese, chosen
 * by the server's `reason` and the operation. Pure, so every branch is unit-tested.
 */

export type ProfileOperation = "nickname" | "avatar" | "phone";

export interface ProfileProblem {
  operation: ProfileOperation;
  /** retry -> a "重试" button; relogin / block -> a "重新登录" button; show -> the text only. */
  action: ClientAction;
  /** The server's reason, or a client-side category (NETWORK, TIMEOUT...). */
  reason: string;
  /** Shown to the user. */
  message: string;
  /** The server's own (English) text, kept for logs and tests; never shown. */
  serverMessage: string | undefined;
}

const FALLBACK_BY_OPERATION: Record<ProfileOperation, string> = {
  nickname: "昵称保存失败，请重试",
  avatar: "头像上传失败，请重试",
  phone: "手机号绑定失败，请重试",
};

/**
 * Reasons whose text does not depend on the operation: the app-wide texts, plus what only profile
 * operations meet (and the milder wording "操作太频繁" where WeChat limits a non-login call).
 */
const MESSAGES_BY_REASON: Record<string, string> = {
  ...messagesByReason,
  PHONE_CODE_INVALID: "手机号验证已失效，请重新点击",
  ENCRYPTED_DATA_INVALID: "手机号信息校验失败，请重新点击",
  WX_RATE_LIMITED: "操作太频繁了，请稍后再试",
  UPLOAD_TOO_LARGE: "图片太大了，请选择 2 MB 以内的图片",
  UPLOAD_UNSUPPORTED_TYPE: "仅支持 PNG、JPEG、WebP 或 GIF 格式的图片",
  INTERNAL_SERVER_ERROR: "服务器开小差了，请稍后重试",
  INTERNAL: "服务器开小差了，请稍后重试",
  NETWORK: "网络连接失败，请检查网络后重试",
  TIMEOUT: "服务器响应超时，请重试",
  BAD_RESPONSE: "服务器返回了无法识别的内容，请稍后重试",
};

export function describeProfileError(operation: ProfileOperation, error: unknown): ProfileProblem {
  const described = describeError(error);
  const reason = described.reason ?? transportReason(error) ?? described.code ?? "UNKNOWN";
  const serverMessage = hasServerData(error) ? described.message : undefined;
  if (operation === "phone" && reason === "SESSION_KEY_STALE") {
    // The link already logged in again and resent; legacy data encrypted with the old session_key
    // still cannot be read. A new tap gives data for the new key: no login button needed.
    return { operation, action: "show", reason, message: "微信登录状态已更新，请重新点击绑定手机号", serverMessage };
  }
  return {
    operation,
    action: described.action,
    reason,
    message: messageFor(operation, reason, error) ?? FALLBACK_BY_OPERATION[operation],
    serverMessage,
  };
}

function messageFor(operation: ProfileOperation, reason: string, error: unknown): string | undefined {
  if (reason === "INVALID_INPUT") return invalidInputMessage(operation, firstIssueCode(error));
  const known = MESSAGES_BY_REASON[reason];
  if (known) return known;
  if (/^HTTP_5\d\d$/.test(reason)) return MESSAGES_BY_REASON.INTERNAL;
  return undefined;
}

/**
 * The server names what was wrong with an input in `error.data.issues` (`{ path, code, message }`):
 * `code` is stable ("too_long", "too_small", "control_characters", "temporary_path"...), so the UI
 * picks its Chinese sentence from it instead of parsing the English message.
 */
function firstIssueCode(error: unknown): string | undefined {
  const issues = (error as { data?: { issues?: unknown } } | null | undefined)?.data?.issues;
  if (!Array.isArray(issues)) return undefined;
  const code = (issues[0] as { code?: unknown } | undefined)?.code;
  return typeof code === "string" ? code : undefined;
}

const NICKNAME_ISSUE_MESSAGES: Record<string, string> = {
  too_long: `昵称最多 ${NICKNAME_MAX_CHARACTERS} 个字`,
  too_small: "昵称不能为空",
  control_characters: "昵称不能包含换行或特殊控制字符",
  broken_emoji: "昵称中有无法识别的字符，请修改",
};

export function invalidInputMessage(operation: ProfileOperation, issueCode: string | undefined): string {
  if (operation === "nickname") return NICKNAME_ISSUE_MESSAGES[issueCode ?? ""] ?? "昵称不符合要求，请修改后重试";
  if (operation === "avatar") {
    return issueCode === "temporary_path" ? "头像需要先上传，请重新选择" : "头像图片无效，请重新选择";
  }
  return "手机号信息无效，请重新点击";
}

function hasServerData(error: unknown): boolean {
  const data = (error as { data?: unknown } | null | undefined)?.data;
  return typeof data === "object" && data !== null && typeof (data as { reason?: unknown }).reason === "string";
}

/** taro-link's TaroRequestError (itself or as the cause) says why no answer came. */
function transportReason(error: unknown): string | undefined {
  const candidates = [error, (error as { cause?: unknown } | null | undefined)?.cause];
  for (const candidate of candidates) {
    const kind = (candidate as { kind?: unknown } | null | undefined)?.kind;
    if (kind === "timeout") return "TIMEOUT";
    if (kind === "network") return "NETWORK";
    if (kind === "bad-response") return "BAD_RESPONSE";
  }
  const httpStatus = (error as { data?: { httpStatus?: unknown } } | null | undefined)?.data?.httpStatus;
  if (typeof httpStatus === "number") return `HTTP_${httpStatus}`;
  return undefined;
}

/** What the page says when the getPhoneNumber button itself reports no number (no server call). */
export type PhoneButtonFeedback =
  /** A gentle note, not an error: the user chose not to share the number. */
  { kind: "note"; message: string } | { kind: "problem"; problem: ProfileProblem };

export const PHONE_REFUSED_NOTE = "你没有授权手机号，需要时可以再次点击绑定";
export const PHONE_QUOTA_EXHAUSTED_MESSAGE = "手机号快速验证次数已用完，请稍后再试或联系客服";
export const PHONE_BUTTON_FAILED_MESSAGE = "微信未能提供手机号，请稍后再试";

export function describePhoneButtonFailure(
  outcome: Extract<PhoneButtonOutcome, { kind: "refused" | "quota-exhausted" | "failed" }>,
): PhoneButtonFeedback {
  switch (outcome.kind) {
    case "refused":
      return { kind: "note", message: PHONE_REFUSED_NOTE };
    case "quota-exhausted":
      // Only the mini-program's operator can buy more quota: nothing for the user to retry now.
      return {
        kind: "problem",
        problem: {
          operation: "phone",
          action: "show",
          reason: "PHONE_QUOTA_EXHAUSTED",
          message: PHONE_QUOTA_EXHAUSTED_MESSAGE,
          serverMessage: undefined,
        },
      };
    case "failed":
      return {
        kind: "problem",
        problem: {
          operation: "phone",
          action: "show",
          reason: "PHONE_BUTTON_FAILED",
          message: PHONE_BUTTON_FAILED_MESSAGE,
          // WeChat's errMsg (e.g. "getPhoneNumber:fail no permission") is for the console.
          serverMessage: outcome.errMsg || undefined,
        },
      };
  }
}
