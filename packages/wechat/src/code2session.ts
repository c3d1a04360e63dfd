/**
 * code2Session (GET /sns/jscode2session): exchanges a wx.login code for the user's openid,
 * session_key and, when the mini-program is bound to an Open Platform account, unionid.
 */
import { z } from "zod";
import { acceptWechatAnswer, parseSuccessBody } from "./refusal.ts";
import { requestWechatJson } from "./transport.ts";

export interface Code2SessionResult {
  openid: string;
  /** Base64 of the user's 16-byte session key. Secret: never log it, store it encrypted. */
  sessionKey: string;
  unionid?: string;
}

export interface Code2SessionRequest {
  baseUrl: string;
  appid: string;
  secret: string;
  code: string;
  timeoutMs: number;
}

const API_NAME = "code2Session";

// errcode may be present as 0 on success; openid and session_key must be real strings.
const successBodySchema = z.object({
  errcode: z.literal(0).optional(),
  openid: z.string().min(1),
  session_key: z.string().min(1),
  unionid: z.string().optional(),
});

export async function code2Session(request: Code2SessionRequest): Promise<Code2SessionResult> {
  const query = new URLSearchParams({
    appid: request.appid,
    secret: request.secret,
    js_code: request.code,
    grant_type: "authorization_code",
  });
  const body = await requestWechatJson({
    apiName: API_NAME,
    url: `${request.baseUrl}/sns/jscode2session?${query.toString()}`,
    timeoutMs: request.timeoutMs,
  });

  const answer = acceptWechatAnswer(body, API_NAME, [request.secret, request.code]);
  const { openid, session_key: sessionKey, unionid } = parseSuccessBody(API_NAME, successBodySchema, answer);
  // An empty unionid carries no identity: treat it like an absent one.
  return unionid ? { openid, sessionKey, unionid } : { openid, sessionKey };
}
