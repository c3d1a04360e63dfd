/**
 * Credentials the mock accepts when none are configured. Shaped like real ones (appid: "wx" + 16
 * chars) but obviously fake, so a leaked config file pointing at the mock is recognisable.
 */
export const MOCK_DEFAULT_APPID = "wxmock000000000001";
export const MOCK_DEFAULT_SECRET = "mock-secret-not-for-production";
export const MOCK_DEFAULT_PORT = 3001;
/** wx.login codes live 5 minutes at WeChat. */
export const MOCK_DEFAULT_CODE_TTL_MS = 300_000;
/** Access tokens live 7200 s at WeChat. */
export const MOCK_ACCESS_TOKEN_TTL_MS = 7_200_000;
/**
 * A replaced token stays valid this long (legacy /cgi-bin/token), and stable_token issues the next
 * token when the current one has this long left.
 */
export const MOCK_ACCESS_TOKEN_OVERLAP_MS = 300_000;
/** stable_token force_refresh: at most this many a day (China time) ... */
export const MOCK_FORCE_REFRESH_DAILY_LIMIT = 20;
/** ... and a force_refresh sooner than this after the previous one does not refresh. */
export const MOCK_FORCE_REFRESH_MIN_INTERVAL_MS = 30_000;

/**
 * The credentials the mock gives each appid it serves when a server asks for several
 * (WX_MOCK_APPIDS): MOCK_DEFAULT_SECRET for MOCK_DEFAULT_APPID, a secret of its own for any other.
 * Fake by construction, like the defaults.
 */
export function mockAppsFor(appids: readonly string[]): { appid: string; secret: string }[] {
  return appids.map((appid) => ({
    appid,
    secret: appid === MOCK_DEFAULT_APPID ? MOCK_DEFAULT_SECRET : `mock-secret-of-${appid}`,
  }));
}
