import Taro from "@tarojs/taro";
import type * as MockWechatPhone from "./mock-wechat-phone";
import type { PhoneCodeSource } from "./mock-wechat-phone";

/**
 * The mock phone code source of this build, or undefined (every default build, weapp or H5).
 *
 * Same rule as the login code source (login-code-source.ts): `process.env.TARO_APP_WX_MOCK_URL` is
 * a build-time constant, and when it is empty webpack drops the `if` body before resolving the
 * `require`, so neither the module nor the `/mock/phone` path is bundled.
 */
export function createDevPhoneCodeSource(): PhoneCodeSource | undefined {
  if (process.env.TARO_APP_WX_MOCK_URL) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- bundled only when the `if` holds (see above)
    const { createMockPhoneCodeSource } = require("./mock-wechat-phone") as typeof MockWechatPhone;
    return createMockPhoneCodeSource(
      process.env.TARO_APP_WX_MOCK_URL,
      {
        request: (options) => Taro.request(options),
        getStorageSync: (key) => Taro.getStorageSync<unknown>(key),
      },
      process.env.TARO_APP_ID || undefined,
    );
  }
  return undefined;
}
