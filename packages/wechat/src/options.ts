/** Validation shared by every factory that talks to WeChat: mistakes fail at startup, not on a user's request. */
import { WechatError } from "./errors.ts";

export const WECHAT_DEFAULT_BASE_URL = "https://api.weixin.qq.com";
export const WECHAT_DEFAULT_TIMEOUT_MS = 5000;

/** Trailing slashes are dropped so a base URL with a path prefix (a proxy) keeps its prefix. */
export function normaliseBaseUrl(baseUrl: string, what: string): string {
  let parsed: URL;
  try {
    parsed = new URL(baseUrl);
  } catch {
    throw configError(what, "baseUrl is not an absolute URL");
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    throw configError(what, `baseUrl must be http or https, got ${parsed.protocol}`);
  }
  if (parsed.search || parsed.hash) throw configError(what, "baseUrl must not have a query or fragment");
  return `${parsed.origin}${parsed.pathname}`.replace(/\/+$/, "");
}

export function checkPositive(value: number, name: string, what: string): number {
  if (!Number.isFinite(value) || value <= 0) throw configError(what, `${name} must be a positive number, got ${value}`);
  return value;
}

export function checkNonNegative(value: number, name: string, what: string): number {
  if (!Number.isFinite(value) || value < 0) throw configError(what, `${name} must be a number >= 0, got ${value}`);
  return value;
}

/** `what` names the misconfigured thing, e.g. "WeChat client". */
export function configError(what: string, problem: string): WechatError {
  return new WechatError({ kind: "config", message: `${what} misconfigured: ${problem}` });
}
