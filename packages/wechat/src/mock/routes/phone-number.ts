/**
 * POST /wxa/business/getuserphonenumber?access_token=, JSON `{ code, openid? }`: redeems a code
 * minted by POST /mock/phone for the app whose access token the call carries. Unknown, expired and
 * used codes, codes of another app, and codes of another user than `openid` are all 40029 (the last
 * one inferred: see phone-codes.ts).
 */
import { wechatErrorAnswer } from "../wechat-errors.ts";
import { appOfAccessToken } from "./access-token-check.ts";
import type { WechatRoute } from "./types.ts";

export const phoneNumberRoute: WechatRoute = {
  path: "/wxa/business/getuserphonenumber",
  method: "POST",
  handle({ query, body }, context) {
    const caller = appOfAccessToken(query, context);
    if ("refusal" in caller) return caller.refusal;

    if (typeof body !== "object" || body === null || Array.isArray(body)) return wechatErrorAnswer(47001);
    const { code, openid } = body as Record<string, unknown>;
    if (typeof code !== "string" || code === "") return wechatErrorAnswer(40029);
    // WeChat documents openid as an optional string; anything else is its "data format error".
    if (openid !== undefined && (typeof openid !== "string" || openid === "")) return wechatErrorAnswer(47001);

    const phone = caller.app.phoneCodes.redeem(code, openid);
    if (phone === undefined) return wechatErrorAnswer(40029);
    return {
      errcode: 0,
      errmsg: "ok",
      phone_info: {
        ...phone,
        watermark: { timestamp: Math.floor(context.config.now() / 1000), appid: caller.app.appid },
      },
    };
  },
};
