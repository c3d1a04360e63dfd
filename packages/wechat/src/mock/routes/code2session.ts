/**
 * GET /sns/jscode2session: checks come in WeChat's order, appid then secret then code, so a
 * request with several problems reports the first one, as WeChat does.
 */
import { wechatErrorAnswer } from "../wechat-errors.ts";
import type { WechatRoute } from "./types.ts";

export const code2SessionRoute: WechatRoute = {
  path: "/sns/jscode2session",
  method: "GET",
  handle({ query }, { state }) {
    const appid = query.get("appid");
    if (!appid) return wechatErrorAnswer(41002);
    const app = state.app(appid);
    if (app === undefined) return wechatErrorAnswer(40013);

    const secret = query.get("secret");
    if (!secret) return wechatErrorAnswer(41004);
    if (secret !== app.secret) return wechatErrorAnswer(40125);

    const code = query.get("js_code");
    if (!code) return wechatErrorAnswer(41008);

    // The documented value; catching a client that forgets it is the point of checking.
    if (query.get("grant_type") !== "authorization_code") return wechatErrorAnswer(40002);

    // A code minted for another app is unknown here: 40029, as at WeChat.
    const redeemed = app.redeemLoginCode(code);
    switch (redeemed.status) {
      case "unknown_or_expired":
        return wechatErrorAnswer(40029);
      case "used":
        return wechatErrorAnswer(40163);
      case "ok":
        return {
          openid: redeemed.openid,
          session_key: redeemed.sessionKey,
          ...(redeemed.unionid === undefined ? {} : { unionid: redeemed.unionid }),
        };
    }
  },
};
