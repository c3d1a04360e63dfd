import type { ErrorReason } from "@mp-auth/contract";
import type { RouterOutputs } from "@mp-auth/api";

/** One of the user's own sign-in attempts, as auth.history lists it. */
export type LoginHistoryItem = RouterOutputs["auth"]["history"]["items"][number];

const RESULT_TEXT: Record<LoginHistoryItem["result"], string> = {
  success: "登录成功",
  refused: "登录被拒绝",
  error: "登录失败",
};

/**
 * Why an attempt did not succeed, in a few words: the reasons a user's own history can show (those
 * after WeChat named the user). Other reasons show the result alone.
 */
const REASON_TEXT: Partial<Record<ErrorReason, string>> = {
  LOGIN_RATE_LIMITED: "登录太频繁",
  ACCOUNT_BANNED: "账号已被封禁",
  WX_CODE_USED: "登录凭证已被使用",
  WX_CODE_INVALID: "登录凭证无效",
  WX_USER_BLOCKED: "微信账号被限制登录",
  DATABASE_BUSY: "服务器繁忙",
  DATABASE_UNAVAILABLE: "服务暂时不可用",
  OVERLOADED: "服务器繁忙",
  INTERNAL: "服务器异常",
};

/** The line a history entry shows: 「登录成功」, or 「登录被拒绝：登录太频繁」. */
export function describeLoginAttempt(item: Pick<LoginHistoryItem, "result" | "reason">): string {
  const result = RESULT_TEXT[item.result];
  const reason = item.reason ? REASON_TEXT[item.reason] : undefined;
  return reason ? `${result}：${reason}` : result;
}

/** The network the attempt came from, as the server gives it (an address cut to /24 or /48). */
export function describeNetwork(network: string | null): string {
  return network ? `网络：${network}` : "网络：未知";
}
