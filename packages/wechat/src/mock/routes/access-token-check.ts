/**
 * The access_token check every token-taking route does first, with WeChat's errcodes. The token
 * also says which app the call is for: each app's tokens are its own.
 */
import type { MockAppState } from "../state.ts";
import { wechatErrorAnswer } from "../wechat-errors.ts";
import type { MockContext, WechatAnswer } from "./types.ts";

const ERRCODE_BY_CHECK = {
  missing: 41001,
  malformed: 40014,
  unknown: 40001,
  revoked: 40001,
  expired: 42001,
} as const;

/** The app whose live token the query carries, or WeChat's refusal. */
export function appOfAccessToken(
  query: URLSearchParams,
  { state }: MockContext,
): { app: MockAppState } | { refusal: WechatAnswer } {
  const token = query.get("access_token");
  if (token === null || token === "") return { refusal: wechatErrorAnswer(ERRCODE_BY_CHECK.missing) };
  const found = state.checkAccessToken(token);
  if (found === "unknown") return { refusal: wechatErrorAnswer(ERRCODE_BY_CHECK.unknown) };
  if (found.check !== "ok") return { refusal: wechatErrorAnswer(ERRCODE_BY_CHECK[found.check]) };
  return { app: found.app };
}
