/**
 * Where login codes come from. Pure: the caller hands in the platform and the candidates, so the
 * choice is unit-tested without Taro.
 */

/** Resolves to a one-time login code (what wx.login's `code` is). */
export type LoginCodeSource = () => Promise<string>;

export type CodeSourceChoice =
  { kind: "wechat"; source: LoginCodeSource } | { kind: "mock-wechat"; source: LoginCodeSource; mockWechatUrl: string };

/** This build can never log in: no platform login and no mock configured (H5 without TARO_APP_WX_MOCK_URL). */
export class MissingCodeSourceError extends Error {
  constructor(platform: string) {
    super(
      `No login code source for platform "${platform}": Taro.login gives no code outside WeChat. ` +
        "Build with TARO_APP_WX_MOCK_URL=<mock WeChat server URL> (e.g. http://127.0.0.1:3001) to log in through the mock.",
    );
    this.name = "MissingCodeSourceError";
    // Keeps `instanceof` working when DevTools down-levels classes to ES5 on upload.
    Object.setPrototypeOf(this, MissingCodeSourceError.prototype);
  }
}

/**
 * A login code source could not give a code (wx.login failed or gave none, the mock WeChat server
 * could not be reached or answered nonsense). Thrown by every source, so the UI recognises it by
 * type, whatever the platform's own error text says.
 */
export class LoginCodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LoginCodeError";
    Object.setPrototypeOf(this, LoginCodeError.prototype);
  }
}

interface CodeSourceOptions {
  /** process.env.TARO_ENV: "weapp", "h5", ... */
  platform: string;
  /** The configured mock WeChat base URL; empty or undefined when not configured. */
  mockWechatUrl: string | undefined;
  /** The real source: Taro.login. */
  wechatLogin: LoginCodeSource;
  /** Builds the mock source; undefined when the build left the mock out. */
  createMockSource: ((mockWechatUrl: string) => LoginCodeSource) | undefined;
}

/**
 * The mock is used whenever it is configured (explicit opt-in, on any platform, so a weapp can be
 * pointed at a local mock in DevTools). Without it, only platforms where wx.login really returns
 * codes get one; anything else fails loudly instead of logging in with an empty code.
 */
export function selectCodeSource(options: CodeSourceOptions): CodeSourceChoice {
  const mockWechatUrl = options.mockWechatUrl?.trim();
  if (mockWechatUrl) {
    if (!options.createMockSource) {
      throw new Error("TARO_APP_WX_MOCK_URL is set but the mock login module was not built in.");
    }
    return { kind: "mock-wechat", source: options.createMockSource(mockWechatUrl), mockWechatUrl };
  }
  if (options.platform !== "weapp") throw new MissingCodeSourceError(options.platform);
  return { kind: "wechat", source: options.wechatLogin };
}
