/**
 * GET /wxa/checksession and GET /wxa/resetusersessionkey, both with
 * `access_token, openid, signature, sig_method=hmac_sha256`. The signature is checked against the
 * user's CURRENT session_key: a key replaced by a rotating wx.login or a reset gives 87009.
 */
import { sessionKeySignature } from "../../crypto.ts";
import { wechatErrorAnswer } from "../wechat-errors.ts";
import type { MockAppState } from "../state.ts";
import { appOfAccessToken } from "./access-token-check.ts";
import type { MockContext, WechatAnswer, WechatRoute } from "./types.ts";

/**
 * The user's openid (in the app whose access token the call carries) when the request is signed
 * with their current key, else WeChat's refusal.
 */
function checkSignedRequest(
  query: URLSearchParams,
  context: MockContext,
): { openid: string; app: MockAppState } | { refusal: WechatAnswer } {
  const caller = appOfAccessToken(query, context);
  if ("refusal" in caller) return caller;
  const { app } = caller;
  // WeChat documents 87008 for resetusersessionkey; the mock answers it for checksession too.
  if (query.get("sig_method") !== "hmac_sha256") return { refusal: wechatErrorAnswer(87008) };
  const openid = query.get("openid");
  const currentKey = openid ? app.currentSessionKey(openid) : undefined;
  if (!openid || currentKey === undefined) return { refusal: wechatErrorAnswer(40003) };
  if (query.get("signature") !== sessionKeySignature(currentKey)) return { refusal: wechatErrorAnswer(87009) };
  return { openid, app };
}

export const checkSessionRoute: WechatRoute = {
  path: "/wxa/checksession",
  method: "GET",
  handle({ query }, context) {
    const checked = checkSignedRequest(query, context);
    if ("refusal" in checked) return checked.refusal;
    return { errcode: 0, errmsg: "ok" };
  },
};

export const resetSessionKeyRoute: WechatRoute = {
  path: "/wxa/resetusersessionkey",
  method: "GET",
  handle({ query }, context) {
    const checked = checkSignedRequest(query, context);
    if ("refusal" in checked) return checked.refusal;
    const sessionKey = checked.app.resetSessionKey(checked.openid);
    // checkSignedRequest found the user, so the reset cannot miss it.
    if (sessionKey === undefined) return wechatErrorAnswer(40003);
    return { errcode: 0, errmsg: "ok", openid: checked.openid, session_key: sessionKey };
  },
};
