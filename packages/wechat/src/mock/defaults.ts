/**
 * Credentials the mock accepts when none are configured. Shaped like real ones (appid: "wx" + 16
 * chars) but obviously fake, so a leaked config file pointing at the mock is recognisable.
 */
export const MOCK_DEFAULT_APPID = "wxmock000000000001";
export const MOCK_DEFAULT_SECRET = "mock-secret-not-for-production";
export const MOCK_DEFAULT_PORT = 3001;
/** wx.login codes live 5 minutes at WeChat. */
export const MOCK_DEFAULT_CODE_TTL_MS = 300_000;
