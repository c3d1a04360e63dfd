/**
 * POST /cgi-bin/stable_token, JSON `{ grant_type, appid, secret, force_refresh? }`. The token
 * lifecycle (same token in normal mode, rotation in the last 5 minutes, force_refresh limits) lives
 * in access-tokens.ts.
 */
import { wechatErrorAnswer } from "../wechat-errors.ts";
import type { WechatRoute } from "./types.ts";

export const stableTokenRoute: WechatRoute = {
  path: "/cgi-bin/stable_token",
  method: "POST",
  handle({ body }, { state }) {
    // The JSON body is the only input; a non-object or a mistyped field is WeChat's "data format error".
    const fields = body === undefined ? {} : body;
    if (typeof fields !== "object" || fields === null || Array.isArray(fields)) return wechatErrorAnswer(47001);
    const { grant_type: grantType, appid, secret, force_refresh: forceRefresh } = fields as Record<string, unknown>;
    if (forceRefresh !== undefined && typeof forceRefresh !== "boolean") return wechatErrorAnswer(47001);

    if (appid === undefined || appid === "") return wechatErrorAnswer(41002);
    const app = typeof appid === "string" ? state.app(appid) : undefined;
    if (app === undefined) return wechatErrorAnswer(40013);
    if (secret === undefined || secret === "") return wechatErrorAnswer(41004);
    if (secret !== app.secret) return wechatErrorAnswer(40125);
    if (grantType !== "client_credential") return wechatErrorAnswer(40002);

    const granted = app.accessTokens.stableToken(forceRefresh === true);
    if (granted === "daily_limit") return wechatErrorAnswer(45009);
    return { access_token: granted.accessToken, expires_in: granted.expiresInSeconds };
  },
};
