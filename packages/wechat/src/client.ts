import { code2Session } from "./code2session.ts";
import type { Code2SessionResult } from "./code2session.ts";
import { WechatError } from "./errors.ts";

export const WECHAT_DEFAULT_BASE_URL = "https://api.weixin.qq.com";
export const WECHAT_DEFAULT_TIMEOUT_MS = 5000;

export interface WechatClientOptions {
  appid: string;
  /** The mini-program's AppSecret. It only ever leaves this process inside the request to WeChat. */
  secret: string;
  /** Point it at the mock WeChat server in development and tests. */
  baseUrl?: string;
  /** Per call, covering connect, headers and body. */
  timeoutMs?: number;
}

export interface WechatClient {
  /** Exchanges a wx.login code. Rejects with WechatError only. */
  code2Session(code: string): Promise<Code2SessionResult>;
}

export function createWechatClient(options: WechatClientOptions): WechatClient {
  const { appid, secret } = options;
  const timeoutMs = options.timeoutMs ?? WECHAT_DEFAULT_TIMEOUT_MS;
  // Configuration mistakes fail at startup, not on the first user's login.
  if (!appid) throw configError("appid is empty");
  if (!secret) throw configError("secret is empty");
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw configError(`timeoutMs must be a positive number, got ${timeoutMs}`);
  const baseUrl = normaliseBaseUrl(options.baseUrl ?? WECHAT_DEFAULT_BASE_URL);

  return {
    code2Session: (code) => code2Session({ baseUrl, appid, secret, code, timeoutMs }),
  };
}

/** Trailing slashes are dropped so a base URL with a path prefix (a proxy) keeps its prefix. */
function normaliseBaseUrl(baseUrl: string): string {
  let parsed: URL;
  try {
    parsed = new URL(baseUrl);
  } catch {
    throw configError("baseUrl is not an absolute URL");
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    throw configError(`baseUrl must be http or https, got ${parsed.protocol}`);
  }
  if (parsed.search || parsed.hash) throw configError("baseUrl must not have a query or fragment");
  return `${parsed.origin}${parsed.pathname}`.replace(/\/+$/, "");
}

function configError(problem: string): WechatError {
  return new WechatError({ kind: "config", message: `WeChat client misconfigured: ${problem}` });
}
