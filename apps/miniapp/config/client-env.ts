/**
 * The TARO_APP_* settings the client reads, resolved at build time.
 *
 * Precedence: the shell environment, then apps/miniapp/.env[.mode][.local] (Taro's own dotenv
 * loading has already copied those into process.env when this runs), then the defaults below.
 * Kept free of Taro imports so unit tests can exercise it directly.
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
}

export function resolveClientEnv(source: Record<string, string | undefined>): ClientEnv {
  const apiUrl = (source.TARO_APP_API_URL ?? "").trim() || DEFAULT_API_URL;
  const mockUrl = (source.TARO_APP_WX_MOCK_URL ?? "").trim();
  assertHttpUrl("TARO_APP_API_URL", apiUrl);
  if (mockUrl) assertHttpUrl("TARO_APP_WX_MOCK_URL", mockUrl);
  return {
    TARO_APP_API_URL: stripTrailingSlash(apiUrl),
    TARO_APP_WX_MOCK_URL: stripTrailingSlash(mockUrl),
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
