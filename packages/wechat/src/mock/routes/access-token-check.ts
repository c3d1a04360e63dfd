/** The access_token check every token-taking route does first, with WeChat's errcodes. */
import { wechatErrorAnswer } from "../wechat-errors.ts";
import type { MockContext, WechatAnswer } from "./types.ts";

const ERRCODE_BY_CHECK = {
  missing: 41001,
  malformed: 40014,
  unknown: 40001,
  revoked: 40001,
  expired: 42001,
} as const;

/** WeChat's refusal when the query's access_token is not a live token, else undefined. */
export function refuseBadAccessToken(query: URLSearchParams, { state }: MockContext): WechatAnswer | undefined {
  const check = state.accessTokens.check(query.get("access_token"));
  return check === "ok" ? undefined : wechatErrorAnswer(ERRCODE_BY_CHECK[check]);
}
