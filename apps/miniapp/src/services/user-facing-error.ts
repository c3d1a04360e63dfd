import {
  AVATAR_IMAGE_TYPES,
  AVATAR_MAX_BYTES,
  NICKNAME_MAX_GRAPHEMES,
  NOTE_BODY_MAX_GRAPHEMES,
  NOTE_TITLE_MAX_GRAPHEMES,
  NOTES_MAX_PER_USER,
  readBlockedUntil,
  readErrorData,
  type ClientAction,
  type ErrorReason,
  type InputIssueCode,
} from "@mp-auth/contract";
import { describeError, TaroRequestError } from "@mp-auth/taro-link";
import { LoginCodeError, MissingCodeSourceError } from "../auth/code-source";
import { formatDateTime } from "./format";
import type { PhoneButtonOutcome } from "./phone-number";

/**
 * Everything the mini-program says about a failure, in Simplified Chinese. taro-link's
 * describeError decides what to offer (the server's `action`, or `retry` for a transport failure);
 * this module only words it: one text per reason of the contract, per input issue of each field,
 * per transport failure kind, and per client-side error type. The tables are exhaustive records,
 * so a reason added to the contract does not compile until it has a text here. Pure, so every
 * branch is unit-tested.
 */

/** What the user was doing: the wording of a few reasons, and the fallback sentence, depend on it. */
export type UserOperation = "session" | "nickname" | "avatar" | "phone" | "account" | "note";

export interface UserFacingError {
  operation: UserOperation;
  /** Shown to the user. */
  message: string;
  /**
   * For tests, logs and `data-reason`: the server's reason as sent, or a client-side category
   * (NETWORK, TIMEOUT, BAD_RESPONSE, ABORTED, LOGIN_CODE_FAILED, MISSING_CODE_SOURCE, HTTP_<status>,
   * PHONE_QUOTA_EXHAUSTED, PHONE_BUTTON_FAILED, UNKNOWN).
   */
  reason: string;
  /** retry -> a 「重试」 button; relogin / block -> a 「重新登录」 button; show -> the text only. */
  action: ClientAction;
  /**
   * Whether the session panels (home, sessions) offer their button, which retries with an explicit
   * login: true for everything except a build that can never log in (MissingCodeSourceError).
   */
  retryable: boolean;
  /** The server's own (English) text, or WeChat's errMsg, for the console and tests; never shown. */
  serverMessage: string | undefined;
  /** ACCOUNT_BANNED: when the ban ends (ISO-8601), for the blocked screen; absent until lifted. */
  blockedUntil?: string;
}

const SERVER_FAULT = "服务器开小差了，请稍后重试";
const SERVER_BUSY = "服务器繁忙，请稍后重试";
const SIGNED_OUT = "登录已失效，请重新登录";

/** The image types the server accepts, as users know them. Keyed by the contract's list. */
const IMAGE_TYPE_NAMES: Record<(typeof AVATAR_IMAGE_TYPES)[number], string> = {
  "image/png": "PNG",
  "image/jpeg": "JPEG",
  "image/gif": "GIF",
  "image/webp": "WebP",
};

/** One text per reason of the contract (packages/contract, ERROR_TAXONOMY). */
const TEXT_BY_REASON: Record<ErrorReason, string> = {
  NO_TOKEN: SIGNED_OUT,
  MALFORMED_TOKEN: SIGNED_OUT,
  UNKNOWN_TOKEN: SIGNED_OUT,
  EXPIRED: "登录已过期，请重新登录",
  REVOKED: "该设备已被退出登录，请重新登录",
  SESSION_KEY_STALE: "微信登录状态已过期，请重新登录",
  INVALID_INPUT: "请求参数有误",
  WX_CODE_INVALID: "微信登录凭证无效，请重试",
  WX_CODE_USED: "微信登录凭证已被使用，请重试",
  WX_USER_BLOCKED: "该微信账号已被微信限制登录，请稍后再试或联系客服",
  ACCOUNT_BANNED: "该账号已被封禁，如有疑问请联系客服",
  WX_RATE_LIMITED: "操作太频繁了，请稍后再试",
  LOGIN_RATE_LIMITED: "登录太频繁了，请稍后再试",
  WX_BUSY: "微信服务繁忙，请稍后重试",
  WX_TIMEOUT: "连接微信服务超时，请重试",
  WX_UNAVAILABLE: "暂时无法连接微信服务，请稍后重试",
  WX_MISCONFIGURED: "服务器的微信配置有误，请联系管理员",
  PHONE_CODE_INVALID: "手机号验证已失效，请重新点击",
  ENCRYPTED_DATA_INVALID: "手机号信息校验失败，请重新点击",
  NOT_FOUND: "该设备已经退出登录",
  UPLOAD_TOO_LARGE: `图片太大了，请选择 ${AVATAR_MAX_BYTES / 1024 / 1024} MB 以内的图片`,
  UPLOAD_UNSUPPORTED_TYPE: `仅支持 ${AVATAR_IMAGE_TYPES.map((type) => IMAGE_TYPE_NAMES[type]).join("、")} 格式的图片`,
  UPLOAD_RATE_LIMITED: "上传太频繁了，请稍后再试",
  ROUTE_NOT_FOUND: "服务器地址配置有误，请联系管理员",
  METHOD_NOT_ALLOWED: "小程序版本与服务器不匹配，请更新后重试",
  BATCH_TOO_LARGE: "同时发出的请求太多，请稍后重试",
  DATABASE_UNAVAILABLE: "服务暂时不可用，请稍后重试",
  DATABASE_BUSY: SERVER_BUSY,
  OVERLOADED: SERVER_BUSY,
  QUOTA_EXCEEDED: "数量已达上限，请先删除一些",
  // The build's appid (TARO_APP_ID) and the server's apps (WX_APPS) disagree: the developer's to fix.
  UNKNOWN_APPID: "小程序与服务器的 AppID 配置不一致，请联系管理员",
  APPID_REQUIRED: "小程序未配置 AppID，请联系管理员",
  APPID_MISMATCH: "小程序与服务器的 AppID 配置不一致，请联系管理员",
  INTERNAL: SERVER_FAULT,
};

/** Where one operation words a reason its own way. */
const TEXT_BY_OPERATION: Record<UserOperation, Partial<Record<ErrorReason, string>>> = {
  // At sign-in, WeChat's per-user limit is met by wx.login's code exchange.
  session: { WX_RATE_LIMITED: "登录太频繁了，请稍后再试" },
  nickname: {},
  avatar: {},
  // The link already logged in again and resent; legacy data encrypted with the old session_key
  // still cannot be read. A new tap gives data for the new key: no login button needed.
  phone: { SESSION_KEY_STALE: "微信登录状态已更新，请重新点击绑定手机号" },
  account: {},
  note: {
    NOT_FOUND: "这条笔记已被删除",
    QUOTA_EXCEEDED: `笔记最多保存 ${NOTES_MAX_PER_USER} 条，请先删除一些`,
  },
};

/** When nothing more specific is known. */
const FALLBACK_BY_OPERATION: Record<UserOperation, string> = {
  session: "请求失败，请重试",
  nickname: "昵称保存失败，请重试",
  avatar: "头像上传失败，请重试",
  phone: "手机号绑定失败，请重试",
  account: "注销账号失败，请重试",
  note: "笔记保存失败，请重试",
};

/** INVALID_INPUT without an issue this module can word (zod's own codes, another field). */
const INVALID_INPUT_BY_OPERATION: Record<UserOperation, string> = {
  session: TEXT_BY_REASON.INVALID_INPUT,
  nickname: "昵称不符合要求，请修改后重试",
  avatar: "头像图片无效，请重新选择",
  phone: "手机号信息无效，请重新点击",
  account: "注销确认无效，请重新操作",
  note: "笔记内容不符合要求，请修改后重试",
};

/** The fields whose issues (`error.data.issues[].path`) are worded one by one. */
type WordedField = "nickname" | "avatarUrl" | "title" | "body";

const TEXT_BY_INPUT_ISSUE: Record<WordedField, Record<InputIssueCode, string>> = {
  nickname: {
    too_small: "昵称不能为空",
    too_long: `昵称最多 ${NICKNAME_MAX_GRAPHEMES} 个字`,
    control_characters: "昵称不能包含换行、方向控制符或零宽字符",
    invisible: "昵称需要包含看得见的文字",
    broken_emoji: "昵称中有无法识别的字符，请修改",
    temporary_path: INVALID_INPUT_BY_OPERATION.nickname,
  },
  avatarUrl: {
    too_small: INVALID_INPUT_BY_OPERATION.avatar,
    too_long: INVALID_INPUT_BY_OPERATION.avatar,
    control_characters: INVALID_INPUT_BY_OPERATION.avatar,
    invisible: INVALID_INPUT_BY_OPERATION.avatar,
    broken_emoji: INVALID_INPUT_BY_OPERATION.avatar,
    temporary_path: "头像需要先上传，请重新选择",
  },
  // A note's title and body (notes.create / notes.update; the notes page's pre-check).
  title: {
    too_small: "标题不能为空",
    too_long: `标题最多 ${NOTE_TITLE_MAX_GRAPHEMES} 个字`,
    control_characters: "标题不能包含换行、方向控制符或零宽字符",
    invisible: "标题需要包含看得见的文字",
    broken_emoji: "标题中有无法识别的字符，请修改",
    temporary_path: INVALID_INPUT_BY_OPERATION.note,
  },
  body: {
    too_small: INVALID_INPUT_BY_OPERATION.note,
    too_long: `内容最多 ${NOTE_BODY_MAX_GRAPHEMES} 个字`,
    control_characters: "内容不能包含控制字符",
    invisible: INVALID_INPUT_BY_OPERATION.note,
    broken_emoji: "内容中有无法识别的字符，请修改",
    temporary_path: INVALID_INPUT_BY_OPERATION.note,
  },
};

/** The Chinese sentence for one broken input rule of a field (also the nickname pre-check's). */
export function inputIssueText(field: WordedField, code: InputIssueCode): string {
  return TEXT_BY_INPUT_ISSUE[field][code];
}

/** No usable answer from our server: what the transport said, worded per kind. */
const TEXT_BY_TRANSPORT_FAILURE: Record<TaroRequestError["kind"], string> = {
  network: "无法连接服务器，请检查网络后重试",
  timeout: "服务器响应超时，请重试",
  bad_response: "服务器返回了无法识别的内容，请稍后重试",
  aborted: "请求已取消",
};

/** The link's TaroRequestError, itself or as the cause of the TRPCClientError wrapping it. */
function transportFailureOf(error: unknown): TaroRequestError | undefined {
  if (error instanceof TaroRequestError) return error;
  const cause = (error as { cause?: unknown } | null | undefined)?.cause;
  return cause instanceof TaroRequestError ? cause : undefined;
}

/** Narrows a reason as sent to one of the contract's; the exhaustive table is the list of them. */
function isKnownReason(reason: string): reason is ErrorReason {
  return Object.prototype.hasOwnProperty.call(TEXT_BY_REASON, reason);
}

/** `error.data.issues` of an INVALID_INPUT: the first issue of a field worded here, if any. */
function wordedIssueText(error: unknown): string | undefined {
  for (const issue of readErrorData(error).issues ?? []) {
    const table = Object.prototype.hasOwnProperty.call(TEXT_BY_INPUT_ISSUE, issue.path)
      ? TEXT_BY_INPUT_ISSUE[issue.path as WordedField]
      : undefined;
    if (table && Object.prototype.hasOwnProperty.call(table, issue.code)) return table[issue.code as InputIssueCode];
  }
  return undefined;
}

/**
 * Turns whatever a call, a login or an upload threw into what the page shows, for `operation`.
 * The action is the link's (describeError); the text is chosen by the server's reason, else by
 * the transport failure kind, else by the client-side error type, never by parsing error text.
 */
export function userFacingError(error: unknown, operation: UserOperation = "session"): UserFacingError {
  const described = describeError(error);
  const base = { operation, action: described.action, retryable: true };

  if (described.reason !== undefined) {
    const reason = described.reason;
    let message: string;
    if (reason === "INVALID_INPUT") {
      message = wordedIssueText(error) ?? INVALID_INPUT_BY_OPERATION[operation];
    } else if (isKnownReason(reason)) {
      message = TEXT_BY_OPERATION[operation][reason] ?? TEXT_BY_REASON[reason];
    } else {
      // A newer server's reason this build does not know: its action still applies.
      message = FALLBACK_BY_OPERATION[operation];
    }
    // SESSION_KEY_STALE reaching the phone binding: a new tap fixes it, not a login button.
    const action = operation === "phone" && reason === "SESSION_KEY_STALE" ? "show" : described.action;
    const blockedUntil = readBlockedUntil(error);
    return {
      ...base,
      action,
      reason,
      message,
      serverMessage: described.message,
      ...(reason === "ACCOUNT_BANNED" && blockedUntil ? { blockedUntil } : {}),
    };
  }

  const transportFailure = transportFailureOf(error);
  if (transportFailure) {
    const { kind } = transportFailure;
    return {
      ...base,
      reason: kind.toUpperCase(),
      message: TEXT_BY_TRANSPORT_FAILURE[kind],
      serverMessage: undefined,
    };
  }

  if (error instanceof MissingCodeSourceError) {
    return {
      ...base,
      action: "show",
      retryable: false,
      reason: "MISSING_CODE_SOURCE",
      message: "登录未配置：H5 页面需要在构建时设置 TARO_APP_WX_MOCK_URL（模拟微信服务地址）",
      serverMessage: undefined,
    };
  }
  if (error instanceof LoginCodeError) {
    // wx.login (or the mock) failing is usually passing: trying again asks for a new code.
    return {
      ...base,
      action: "retry",
      reason: "LOGIN_CODE_FAILED",
      message: "无法获取微信登录凭证，请重试",
      serverMessage: undefined,
    };
  }

  // An answer without a reason (an older server, a proxy's JSON error page): judge by status.
  const { httpStatus } = readErrorData(error);
  if (httpStatus !== undefined) {
    return {
      ...base,
      reason: `HTTP_${httpStatus}`,
      message: httpStatus >= 500 ? SERVER_FAULT : FALLBACK_BY_OPERATION[operation],
      serverMessage: described.message,
    };
  }
  return { ...base, reason: "UNKNOWN", message: FALLBACK_BY_OPERATION[operation], serverMessage: undefined };
}

/** The blocked screen's line about a ban's end: "封禁将于 2026-12-24 08:00 解除" (device time zone). */
export function blockedUntilText(iso: string): string {
  return `封禁将于 ${formatDateTime(iso)} 解除`;
}

/** What the page says when the getPhoneNumber button itself reports no number (no server call). */
type PhoneButtonFeedback =
  /** A gentle note, not an error: the user chose not to share the number. */
  { kind: "note"; message: string } | { kind: "problem"; problem: UserFacingError };

export function phoneButtonFeedback(
  outcome: Extract<PhoneButtonOutcome, { kind: "refused" | "privacy-refused" | "quota-exhausted" | "failed" }>,
): PhoneButtonFeedback {
  const problem = { operation: "phone", action: "show", retryable: true } as const;
  switch (outcome.kind) {
    case "refused":
      return { kind: "note", message: "你没有授权手机号，需要时可以再次点击绑定" };
    case "privacy-refused":
      return { kind: "note", message: "你没有同意隐私保护指引，暂时无法获取手机号，需要时可以再次点击绑定" };
    case "quota-exhausted":
      // Only the mini-program's operator can buy more quota: nothing for the user to retry now.
      return {
        kind: "problem",
        problem: {
          ...problem,
          reason: "PHONE_QUOTA_EXHAUSTED",
          message: "手机号快速验证次数已用完，请稍后再试或联系客服",
          serverMessage: undefined,
        },
      };
    case "failed":
      return {
        kind: "problem",
        problem: {
          ...problem,
          reason: "PHONE_BUTTON_FAILED",
          message: "微信未能提供手机号，请稍后再试",
          // WeChat's errMsg (e.g. "getPhoneNumber:fail no permission") is for the console.
          serverMessage: outcome.errMsg || undefined,
        },
      };
  }
}
