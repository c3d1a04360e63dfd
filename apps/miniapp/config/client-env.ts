/**
 * The TARO_APP_* settings the client reads, resolved at build time.
 *
 * Precedence: the shell environment, then apps/miniapp/.env[.mode][.local] (Taro's own dotenv
 * loading has already copied those into process.env when this runs), then the defaults below.
 * Kept free of Taro imports so unit tests can exercise it directly, and free of workspace imports:
 * Taro loads config/ with a transpiler that covers this folder only.
 */
export const DEFAULT_API_URL = "http://127.0.0.1:3000/trpc";

export interface ClientEnv {
  /** tRPC endpoint of apps/server, e.g. http://127.0.0.1:3000/trpc */
  TARO_APP_API_URL: string;
  /**
   * Base URL of the mock WeChat server (`@mp-auth/wechat/mock`). Empty means "use the real
   * wx.login". Setting it is the ONLY way the dev login code source gets into a build.
   */
  TARO_APP_WX_MOCK_URL: string;
  /**
   * The mini-program's appid, sent to the server on every request (X-WX-Appid) so a server of
   * several apps knows which one calls. Empty (unset, or DevTools' `touristappid`): no header, which
   * a server of one app accepts.
   */
  TARO_APP_ID: string;
}

/** DevTools' test account, project.config.json's default: not an app any server serves. */
const TOURIST_APPID = "touristappid";

export function resolveClientEnv(source: Record<string, string | undefined>): ClientEnv {
  const apiUrl = (source.TARO_APP_API_URL ?? "").trim() || DEFAULT_API_URL;
  const mockUrl = (source.TARO_APP_WX_MOCK_URL ?? "").trim();
  assertHttpUrl("TARO_APP_API_URL", apiUrl);
  if (mockUrl) assertHttpUrl("TARO_APP_WX_MOCK_URL", mockUrl);
  const rawAppid = (source.TARO_APP_ID ?? "").trim();
  // WeChat itself checks the appid when the project is opened or uploaded; the server answers an
  // appid it does not serve with UNKNOWN_APPID. Here only a value that cannot be one is refused.
  const appid = rawAppid === TOURIST_APPID ? "" : rawAppid;
  if (appid && !appid.startsWith("wx")) {
    throw new Error(`TARO_APP_ID must be a mini-program appid (wx...), got ${JSON.stringify(appid)}`);
  }
  return {
    TARO_APP_API_URL: stripTrailingSlash(apiUrl),
    TARO_APP_WX_MOCK_URL: stripTrailingSlash(mockUrl),
    TARO_APP_ID: appid,
  };
}

function stripTrailingSlash(url: string): string {
  return url.replace(/\/+$/, "");
}

function assertHttpUrl(name: string, value: string): void {
  if (!/^https?:\/\/[^/\s]+/.test(value)) {
    throw new Error(`${name} must be an http(s) URL, got ${JSON.stringify(value)}`);
  }
}
