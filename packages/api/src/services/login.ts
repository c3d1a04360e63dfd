import { isUniqueConstraintError } from "@mp-auth/db";
import { WechatError } from "@mp-auth/wechat";
import type { Context } from "../context.ts";
import { ApiError } from "../errors.ts";
import { newSessionData } from "./sessions.ts";
import { toPublicUserJson, upsertUserOnLogin } from "./users.ts";

/**
 * Maps a WeChat refusal to what the caller can do about it. Matching is on the error kind (derived
 * from errcode), never on errmsg. Messages say what happened without echoing the code.
 */
export function wechatLoginError(error: WechatError): ApiError {
  switch (error.kind) {
    case "invalid_code":
    case "missing_code":
      return new ApiError({ code: "BAD_REQUEST", reason: "WX_CODE_INVALID", message: "WeChat rejected the login code as invalid or expired: call wx.login for a new one." });
    case "code_used":
      return new ApiError({ code: "BAD_REQUEST", reason: "WX_CODE_USED", message: "This login code was already used: call wx.login for a new one." });
    case "user_blocked":
      return new ApiError({ code: "FORBIDDEN", reason: "WX_USER_BLOCKED", message: "WeChat blocked this login as high-risk (errcode 40226)." });
    case "rate_limited":
      return new ApiError({ code: "TOO_MANY_REQUESTS", reason: "WX_RATE_LIMITED", retryable: true, message: "WeChat is rate-limiting logins for this user: retry in a minute." });
    case "busy":
      return new ApiError({ code: "SERVICE_UNAVAILABLE", reason: "WX_BUSY", retryable: true, message: "WeChat is busy (errcode -1): retry shortly." });
    case "timeout":
      return new ApiError({ code: "GATEWAY_TIMEOUT", reason: "WX_TIMEOUT", retryable: true, message: "WeChat did not answer in time: retry shortly." });
    case "config":
      return new ApiError({ code: "INTERNAL_SERVER_ERROR", reason: "WX_MISCONFIGURED", message: "WeChat refused this server's appid or secret: the operator must check WX_APPID and WX_SECRET." });
    case "network":
    case "bad_response":
    case "unknown":
      return new ApiError({ code: "BAD_GATEWAY", reason: "WX_UNAVAILABLE", retryable: true, message: "WeChat could not be reached or answered unexpectedly: retry shortly." });
  }
}

/**
 * Exchanges a wx.login code for our own session. The user upsert and the session insert commit
 * together or not at all. Concurrent first logins of one openid can race on the unique index where
 * the database runs the upsert as find-then-insert: the loser retries and lands on the winner's row.
 */
export async function loginWithCode(ctx: Context, code: string) {
  const { deps } = ctx;
  let identity;
  try {
    identity = await deps.wechat.code2Session(code);
  } catch (error) {
    if (error instanceof WechatError) {
      deps.logger.warn({ wechatErrorKind: error.kind, errcode: error.errcode }, "code2Session refused");
      throw wechatLoginError(error);
    }
    throw error;
  }

  const sessionKeyCiphertext = deps.sessionKeyCipher.encrypt(identity.sessionKey);
  for (let attempt = 1; ; attempt++) {
    try {
      const now = ctx.now();
      const { token, user, expiresAt } = await deps.db.$transaction(async (tx) => {
        const user = await upsertUserOnLogin(tx, {
          appid: deps.appid,
          openid: identity.openid,
          unionid: identity.unionid,
          sessionKeyCiphertext,
          now,
        });
        const { token, data } = newSessionData(ctx, user.id);
        await tx.session.create({ data, select: { id: true } });
        return { token, user, expiresAt: data.expiresAt };
      });
      deps.logger.info({ userId: user.id }, "user logged in");
      return { token, expiresAt: expiresAt.toISOString(), user: toPublicUserJson(user) };
    } catch (error) {
      if (attempt < 3 && isUniqueConstraintError(error)) continue;
      throw error;
    }
  }
}
