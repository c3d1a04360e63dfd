/**
 * GET /cgi-bin/token: the legacy access_token API. Every call issues a new token and the previous
 * one dies 5 minutes later, which is why two server instances using it kick each other out. The
 * client library uses stable_token; this route exists so tests can show the difference.
 */
import { wechatErrorAnswer } from "../wechat-errors.ts";
import type { WechatRoute } from "./types.ts";

export const legacyTokenRoute: WechatRoute = {
  path: "/cgi-bin/token",
  method: "GET",
  handle({ query }, { state }) {
    if (query.get("grant_type") !== "client_credential") return wechatErrorAnswer(40002);
    const appid = query.get("appid");
    if (!appid) return wechatErrorAnswer(41002);
    const app = state.app(appid);
    if (app === undefined) return wechatErrorAnswer(40013);
    const secret = query.get("secret");
    if (!secret) return wechatErrorAnswer(41004);
    if (secret !== app.secret) return wechatErrorAnswer(40125);

    const granted = app.accessTokens.legacyToken();
    return { access_token: granted.accessToken, expires_in: granted.expiresInSeconds };
  },
};
