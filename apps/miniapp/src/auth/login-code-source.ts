import Taro from "@tarojs/taro";
import { LoginCodeError, selectCodeSource, type CodeSourceChoice, type LoginCodeSource } from "./code-source";
import type * as MockWechatLogin from "./mock-wechat-login";

/** The real source. wx.login is rate-limited per user: taro-link calls it only to (re)log in. */
const wechatLogin: LoginCodeSource = async () => {
  let result: Taro.login.SuccessCallbackResult;
  try {
    result = await Taro.login();
  } catch (failure) {
    // Taro rejects with wx's plain `{ errMsg }` object: make it an error the UI recognises by type.
    const errMsg = (failure as { errMsg?: unknown } | null)?.errMsg;
    throw new LoginCodeError(`wx.login failed: ${typeof errMsg === "string" ? errMsg : String(failure)}`);
  }
  if (!result.code) throw new LoginCodeError(`wx.login returned no code (${result.errMsg})`);
  return result.code;
};

/**
 * Picks the code source of this build. Throws MissingCodeSourceError on H5 without a mock URL.
 *
 * `process.env.TARO_APP_WX_MOCK_URL` is a build-time constant (config/index.ts). When it is empty,
 * webpack drops the `if` body below before resolving it, so the mock module (and the mock's
 * endpoint path) is not even bundled: a static import would keep it in unminified builds.
 */
export function createAppCodeSource(): CodeSourceChoice {
  let createMockSource: ((mockWechatUrl: string) => LoginCodeSource) | undefined;
  if (process.env.TARO_APP_WX_MOCK_URL) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- bundled only when the `if` holds (see above)
    const { createMockWechatLogin } = require("./mock-wechat-login") as typeof MockWechatLogin;
    createMockSource = (mockWechatUrl) =>
      createMockWechatLogin(
        mockWechatUrl,
        {
          request: (options) => Taro.request(options),
          getStorageSync: (key) => Taro.getStorageSync<unknown>(key),
          setStorageSync: (key, value) => Taro.setStorageSync(key, value),
        },
        process.env.TARO_APP_ID || undefined,
      );
  }
  return selectCodeSource({
    platform: process.env.TARO_ENV ?? "unknown",
    mockWechatUrl: process.env.TARO_APP_WX_MOCK_URL,
    wechatLogin,
    createMockSource,
  });
}
