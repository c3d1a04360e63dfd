/** WeChat's error answers as the mock sends them: `{ errcode, errmsg }` with WeChat's wording. */
import { randomReqId, randomRid } from "./ids.ts";
import type { WechatAnswer } from "./routes/types.ts";

/** Wording WeChat uses (or close to it); clients must not depend on it, so exactness does not matter. */
const WECHAT_ERRMSGS: Record<number, string> = {
  [-1]: "system error",
  40001: "invalid credential, access_token is invalid or not latest",
  40002: "invalid grant_type",
  40003: "invalid openid",
  40013: "invalid appid",
  40014: "invalid access_token",
  40029: "invalid code",
  40125: "invalid appsecret",
  40163: "code been used",
  40226: "high risk user, login forbidden",
  41001: "access_token missing",
  41002: "appid missing",
  41004: "appsecret missing",
  41008: "missing code",
  42001: "access_token expired",
  43001: "require GET method",
  43002: "require POST method",
  45009: "reach max api daily quota limit",
  45011: "api minute-quota reach limit  mustslower  retry next minute",
  47001: "data format error",
  87008: "invalid sig_method",
  87009: "invalid signature",
};

/** `errmsg` given explicitly (fault injection) is sent verbatim; otherwise WeChat-like text with a request id. */
export function wechatErrorAnswer(errcode: number, errmsg?: string): WechatAnswer {
  if (errmsg !== undefined) return { errcode, errmsg };
  const text = WECHAT_ERRMSGS[errcode] ?? `mock error ${errcode}`;
  // WeChat uses two formats for the request id; 40163 is the one seen with "hints".
  const withId = errcode === 40163 ? `${text}, hints: [ req_id: ${randomReqId()} ]` : `${text}, rid: ${randomRid()}`;
  return { errcode, errmsg: withId };
}
