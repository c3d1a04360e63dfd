import { LoginCodeError, type LoginCodeSource } from "./code-source";

/**
 * Dev-only login code source: asks the mock WeChat server (`@mp-auth/wechat/mock`) to mint a code.
 * This module is bundled only when TARO_APP_WX_MOCK_URL is set (see login-code-source.ts).
 */

/** The slice of Taro this module uses, so tests can pass fakes. */
export interface MockLoginDeps {
  request: (options: {
    url: string;
    method: "POST";
    header: Record<string, string>;
    data: string;
    dataType: string;
    responseType: "text";
    timeout: number;
  }) => Promise<{ statusCode: number; data: unknown }>;
  getStorageSync: (key: string) => unknown;
  setStorageSync: (key: string, value: string) => void;
}

/** Where the openid minted by the mock is remembered, so reloads keep the same WeChat user. */
export const MOCK_OPENID_STORAGE_KEY = "mp-auth.mock-openid";

const MOCK_LOGIN_TIMEOUT_MS = 10_000;

/**
 * `appid`: the build's TARO_APP_ID, so a mock serving several apps mints the code for this one (the
 * link names the same app to the server); undefined: the mock's default app.
 */
export function createMockWechatLogin(mockWechatUrl: string, deps: MockLoginDeps, appid?: string): LoginCodeSource {
  const endpoint = `${mockWechatUrl.replace(/\/+$/, "")}/mock/login`;
  return async () => {
    const rememberedOpenid = readRememberedOpenid(deps);
    let response: { statusCode: number; data: unknown };
    try {
      response = await deps.request({
        url: endpoint,
        method: "POST",
        header: { "content-type": "application/json" },
        data: JSON.stringify({ ...(appid && { appid }), ...(rememberedOpenid && { openid: rememberedOpenid }) }),
        // Parsed here, so an HTML error page from a proxy becomes a clear error, not a crash.
        dataType: "text",
        responseType: "text",
        timeout: MOCK_LOGIN_TIMEOUT_MS,
      });
    } catch (failure) {
      // Taro rejects with wx's plain `{ errMsg }`: no code, as when wx.login fails.
      const errMsg = (failure as { errMsg?: unknown } | null)?.errMsg;
      throw new LoginCodeError(
        `Mock WeChat login failed: ${endpoint} could not be reached (${typeof errMsg === "string" ? errMsg : String(failure)})`,
      );
    }
    const minted = parseMintedCode(response.statusCode, response.data, endpoint);
    if (minted.openid !== rememberedOpenid) deps.setStorageSync(MOCK_OPENID_STORAGE_KEY, minted.openid);
    return minted.code;
  };
}

function readRememberedOpenid(deps: MockLoginDeps): string | undefined {
  const value = deps.getStorageSync(MOCK_OPENID_STORAGE_KEY);
  return typeof value === "string" && value.length > 0 ? value : undefined;
}

export function parseMintedCode(statusCode: number, body: unknown, endpoint: string): { code: string; openid: string } {
  if (statusCode < 200 || statusCode >= 300) {
    throw new LoginCodeError(`Mock WeChat login failed: ${endpoint} answered HTTP ${statusCode}`);
  }
  let parsed: unknown = body;
  if (typeof body === "string") {
    try {
      parsed = JSON.parse(body);
    } catch {
      throw new LoginCodeError(`Mock WeChat login failed: ${endpoint} did not answer JSON`);
    }
  }
  if (
    typeof parsed === "object" &&
    parsed !== null &&
    typeof (parsed as { code?: unknown }).code === "string" &&
    typeof (parsed as { openid?: unknown }).openid === "string"
  ) {
    const { code, openid } = parsed as { code: string; openid: string };
    if (code.length > 0 && openid.length > 0) return { code, openid };
  }
  throw new LoginCodeError(`Mock WeChat login failed: ${endpoint} answered without code/openid`);
}
