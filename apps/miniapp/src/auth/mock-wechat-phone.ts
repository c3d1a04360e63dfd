import { MOCK_OPENID_STORAGE_KEY, type MockLoginDeps } from "./mock-wechat-login";

/**
 * Dev-only phone code source: asks the mock WeChat server (`@mp-auth/wechat/mock`) for what the
 * getPhoneNumber button would give, so the binding flow runs where that button does not exist (H5)
 * or cannot work (a weapp pointed at the mock, whose codes the real button cannot produce).
 * Bundled only when TARO_APP_WX_MOCK_URL is set (see dev-phone-code-source.ts).
 */

/** Resolves to a single-use phone code, as `detail.code` of the getPhoneNumber button. */
export type PhoneCodeSource = () => Promise<string>;

const MOCK_PHONE_TIMEOUT_MS = 10_000;

/** `appid` as for createMockWechatLogin: the phone code is minted in the build's app. */
export function createMockPhoneCodeSource(
  mockWechatUrl: string,
  deps: Omit<MockLoginDeps, "setStorageSync">,
  appid?: string,
): PhoneCodeSource {
  const endpoint = `${mockWechatUrl.replace(/\/+$/, "")}/mock/phone`;
  return async () => {
    // The openid the mock login minted: the code is this user's alone (as the real button's), and the
    // mock answers the same number for them every time (a test can choose it beforehand).
    const openid = deps.getStorageSync(MOCK_OPENID_STORAGE_KEY);
    const response = await deps.request({
      url: endpoint,
      method: "POST",
      header: { "content-type": "application/json" },
      data: JSON.stringify({ ...(appid && { appid }), ...(typeof openid === "string" && openid && { openid }) }),
      dataType: "text",
      responseType: "text",
      timeout: MOCK_PHONE_TIMEOUT_MS,
    });
    return parseMintedPhoneCode(response.statusCode, response.data, endpoint);
  };
}

export function parseMintedPhoneCode(statusCode: number, body: unknown, endpoint: string): string {
  if (statusCode < 200 || statusCode >= 300) {
    throw new Error(`Mock WeChat phone code failed: ${endpoint} answered HTTP ${statusCode}`);
  }
  let parsed: unknown = body;
  if (typeof body === "string") {
    try {
      parsed = JSON.parse(body);
    } catch {
      throw new Error(`Mock WeChat phone code failed: ${endpoint} did not answer JSON`);
    }
  }
  const code = (parsed as { code?: unknown } | null)?.code;
  if (typeof code === "string" && code.length > 0) return code;
  throw new Error(`Mock WeChat phone code failed: ${endpoint} answered without a code`);
}
