/**
 * Turns whatever a call threw into text for the user (Simplified Chinese) plus whether a retry
 * button makes sense. Pure, so every branch is unit-tested.
 */

export interface UserFacingError {
  /** Short sentence shown as the error title. */
  message: string;
  /** Machine-readable cause for tests and logs: the server's reason, or a client-side category. */
  reason: string;
  /**
   * Whether to offer a retry button. True for everything the user can act on, even errors the
   * server marks `show` or `block`: a retry is an explicit login, which is what taro-link wants
   * before it logs a blocked user in again. False only when this build can never log in.
   */
  retryable: boolean;
}

/** Texts for the server's `error.data.reason` values (packages/api/src/errors.ts), shared by every page. */
export const messagesByReason: Readonly<Record<string, string>> = {
  WX_USER_BLOCKED: "该微信账号已被微信限制登录，请稍后再试或联系客服",
  WX_RATE_LIMITED: "登录太频繁了，请稍后再试",
  LOGIN_RATE_LIMITED: "登录太频繁了，请稍后再试",
  WX_BUSY: "微信服务繁忙，请稍后重试",
  WX_TIMEOUT: "连接微信服务超时，请重试",
  WX_UNAVAILABLE: "暂时无法连接微信服务，请稍后重试",
  WX_CODE_INVALID: "微信登录凭证无效，请重试",
  WX_CODE_USED: "微信登录凭证已被使用，请重试",
  WX_MISCONFIGURED: "服务器的微信配置有误，请联系管理员",
  NOT_FOUND: "该设备已经退出登录",
  INVALID_INPUT: "请求参数有误",
  NO_TOKEN: "登录已失效，请重新登录",
  MALFORMED_TOKEN: "登录已失效，请重新登录",
  UNKNOWN_TOKEN: "登录已失效，请重新登录",
  EXPIRED: "登录已过期，请重新登录",
  REVOKED: "该设备已被退出登录，请重新登录",
  SESSION_KEY_STALE: "微信登录状态已过期，请重新登录",
};

interface ErrorShape {
  name?: unknown;
  message?: unknown;
  data?: { reason?: unknown; httpStatus?: unknown; code?: unknown } | null;
  cause?: unknown;
}

export function describeError(error: unknown): UserFacingError {
  const shape = (typeof error === "object" && error !== null ? error : {}) as ErrorShape;
  const reason = typeof shape.data?.reason === "string" ? shape.data.reason : undefined;
  if (reason) return { message: messagesByReason[reason] ?? "请求失败，请重试", reason, retryable: true };
  if (shape.name === "MissingCodeSourceError") {
    return {
      message: "登录未配置：H5 页面需要在构建时设置 TARO_APP_WX_MOCK_URL（模拟微信服务地址）",
      reason: "MISSING_CODE_SOURCE",
      retryable: false,
    };
  }
  const httpStatus = typeof shape.data?.httpStatus === "number" ? shape.data.httpStatus : undefined;
  if (httpStatus !== undefined && httpStatus >= 500) {
    return { message: "服务器开小差了，请稍后重试", reason: `HTTP_${httpStatus}`, retryable: true };
  }
  if (httpStatus !== undefined) {
    return { message: "请求失败，请重试", reason: `HTTP_${httpStatus}`, retryable: true };
  }
  if ((shape.cause as { kind?: unknown } | undefined)?.kind === "timeout") {
    // taro-link's TaroRequestError: the server took longer than the request timeout.
    return { message: "服务器响应超时，请重试", reason: "TIMEOUT", retryable: true };
  }
  if (isLoginCodeFailure(shape)) {
    return { message: "无法获取微信登录凭证，请重试", reason: "LOGIN_CODE_FAILED", retryable: true };
  }
  // No tRPC error data at all: the request never got an answer from our server.
  return { message: "无法连接服务器，请检查网络后重试", reason: "NETWORK", retryable: true };
}

function isLoginCodeFailure(shape: ErrorShape): boolean {
  const text = [shape.message, (shape.cause as ErrorShape | undefined)?.message]
    .filter((part): part is string => typeof part === "string")
    .join(" ");
  return /wx\.login|Taro\.login|login:fail|Mock WeChat login/i.test(text);
}
