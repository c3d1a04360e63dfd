/**
 * POST /wxa/business/getuserphonenumber?access_token=, JSON `{ code, openid? }`: redeems a code
 * minted by POST /mock/phone. Unknown, expired and used codes are all 40029, as at WeChat.
 */
import { wechatErrorAnswer } from "../wechat-errors.ts";
import { refuseBadAccessToken } from "./access-token-check.ts";
import type { WechatRoute } from "./types.ts";

export const phoneNumberRoute: WechatRoute = {
  path: "/wxa/business/getuserphonenumber",
  method: "POST",
  handle({ query, body }, context) {
    const tokenRefusal = refuseBadAccessToken(query, context);
    if (tokenRefusal !== undefined) return tokenRefusal;

    if (typeof body !== "object" || body === null || Array.isArray(body)) return wechatErrorAnswer(47001);
    const { code } = body as Record<string, unknown>;
    if (typeof code !== "string" || code === "") return wechatErrorAnswer(40029);

    const phone = context.state.phoneCodes.redeem(code);
    if (phone === undefined) return wechatErrorAnswer(40029);
    return {
      errcode: 0,
      errmsg: "ok",
      phone_info: {
        ...phone,
        watermark: { timestamp: Math.floor(context.config.now() / 1000), appid: context.config.appid },
      },
    };
  },
};
