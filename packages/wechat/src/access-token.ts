/**
 * The access token manager: one cached stable_token access_token shared by every server API call.
 *
 * - Cached until `refreshMarginMs` before it expires; then refreshed by ONE request for all
 *   concurrent callers (single flight), so a burst of calls costs WeChat one stable_token call.
 * - `withAccessToken(fn)` retries fn once with a fresh token when WeChat says the token is bad
 *   (40001 / 42001 / 40014). The failed token is expired only if it is still the cached one
 *   (compare-and-expire): a slow caller holding an old token must not throw away a fresh one.
 * - `-1` (busy) from stable_token is retried a few times with growing delays, then surfaces as a
 *   retryable `busy` error. After any failed refresh, callers share that failure for
 *   `failureCooldownMs` instead of each asking WeChat again.
 * - While the cached token is inside the margin but not yet expired, a failed refresh still
 *   returns it: WeChat accepts it for a few more minutes, and a busy WeChat should not fail calls
 *   that a valid token can serve.
 */
import { WechatError, isAccessTokenError, isWechatError } from "./errors.ts";
import {
  WECHAT_DEFAULT_BASE_URL,
  WECHAT_DEFAULT_TIMEOUT_MS,
  checkNonNegative,
  checkPositive,
  configError,
  normaliseBaseUrl,
} from "./options.ts";
import { requestStableAccessToken } from "./stable-token.ts";

export interface CachedAccessToken {
  /** Secret: never log it. */
  accessToken: string;
  /** Epoch ms after which WeChat refuses the token; counted from when the request was SENT, to be safe. */
  expiresAt: number;
}

/**
 * Where the token lives. The default keeps it in this process. A shared store (Redis) lets several
 * server instances use one token:
 *
 * - `get` / `set`: the token, e.g. as JSON under one key with a TTL of `expiresAt`.
 * - `compareAndDelete(accessToken)`: deletes the entry only if it still holds that token (a Lua
 *   script comparing and deleting atomically); true when it deleted.
 * - `withRefreshLock(refresh)` (optional): runs `refresh` while holding a cross-instance lock
 *   (e.g. SET lock NX PX, released by compare-and-delete of the owner id), so only one instance
 *   asks WeChat. `refresh` re-reads the store first and returns the token another instance stored
 *   meanwhile, so waiting for the lock and then calling `refresh` is always correct.
 */
export interface AccessTokenStore {
  get(): Promise<CachedAccessToken | undefined>;
  set(token: CachedAccessToken): Promise<void>;
  compareAndDelete(accessToken: string): Promise<boolean>;
  withRefreshLock?<T>(refresh: () => Promise<T>): Promise<T>;
}

export interface AccessTokenManagerOptions {
  appid: string;
  /** The mini-program's AppSecret; it only leaves this process in the stable_token request body. */
  secret: string;
  baseUrl?: string;
  /** Per stable_token request. */
  timeoutMs?: number;
  store?: AccessTokenStore;
  /** Clock in epoch ms; injectable for tests. */
  now?: () => number;
  /** Refresh this long before expiry; default 5 minutes, when WeChat starts issuing the next token. */
  refreshMarginMs?: number;
  /** Delays before each retry after `-1` (busy); default [200, 400]: 3 attempts in all. */
  busyBackoffMs?: readonly number[];
  /** How long a failed refresh is answered from memory instead of asking WeChat again; default 1000. */
  failureCooldownMs?: number;
  /** Told about every failed refresh (errors are safe to log), including ones hidden by a still-valid token. */
  onRefreshError?: (error: unknown) => void;
}

export interface AccessTokenManager {
  /** A token valid for at least the refresh margin when possible. Secret: never log it. */
  getToken(): Promise<string>;
  /**
   * Runs `fn` with a token. When fn fails with an access_token error, expires that token (only if
   * still cached), gets a fresh one and runs fn once more; a second failure surfaces.
   */
  withAccessToken<T>(fn: (accessToken: string) => Promise<T>): Promise<T>;
  /** Compare-and-expire: forgets the cached token only if it is `accessToken`. True when it did. */
  expireToken(accessToken: string): Promise<boolean>;
}

export const ACCESS_TOKEN_DEFAULT_REFRESH_MARGIN_MS = 5 * 60_000;
export const ACCESS_TOKEN_DEFAULT_BUSY_BACKOFF_MS: readonly number[] = [200, 400];
export const ACCESS_TOKEN_DEFAULT_FAILURE_COOLDOWN_MS = 1000;

/** WeChat tokens live 7200 s: a margin that long would refresh on every call. */
const MAX_REFRESH_MARGIN_MS = 7_000_000;
const MAX_BUSY_RETRIES = 10;
/**
 * When a refresh inside the margin returns a token that is itself inside the margin (our clock is
 * ahead of WeChat's, so WeChat has not rotated yet), the next refresh waits this long.
 */
const SOFT_REFRESH_PAUSE_MS = 10_000;

const WHAT = "WeChat access token manager";

export function createInMemoryAccessTokenStore(): AccessTokenStore {
  let current: CachedAccessToken | undefined;
  return {
    async get() {
      return current === undefined ? undefined : { ...current };
    },
    async set(token) {
      current = { ...token };
    },
    async compareAndDelete(accessToken) {
      if (current?.accessToken !== accessToken) return false;
      current = undefined;
      return true;
    },
  };
}

export function createAccessTokenManager(options: AccessTokenManagerOptions): AccessTokenManager {
  const { appid, secret } = options;
  if (!appid) throw configError(WHAT, "appid is empty");
  if (!secret) throw configError(WHAT, "secret is empty");
  const baseUrl = normaliseBaseUrl(options.baseUrl ?? WECHAT_DEFAULT_BASE_URL, WHAT);
  const timeoutMs = checkPositive(options.timeoutMs ?? WECHAT_DEFAULT_TIMEOUT_MS, "timeoutMs", WHAT);
  const refreshMarginMs = checkNonNegative(
    options.refreshMarginMs ?? ACCESS_TOKEN_DEFAULT_REFRESH_MARGIN_MS,
    "refreshMarginMs",
    WHAT,
  );
  if (refreshMarginMs > MAX_REFRESH_MARGIN_MS)
    throw configError(WHAT, `refreshMarginMs must be below ${MAX_REFRESH_MARGIN_MS} (tokens live 7200 s)`);
  const busyBackoffMs = [...(options.busyBackoffMs ?? ACCESS_TOKEN_DEFAULT_BUSY_BACKOFF_MS)];
  if (busyBackoffMs.length > MAX_BUSY_RETRIES)
    throw configError(WHAT, `busyBackoffMs allows at most ${MAX_BUSY_RETRIES} retries`);
  for (const delay of busyBackoffMs) checkNonNegative(delay, "each busyBackoffMs delay", WHAT);
  const failureCooldownMs = checkNonNegative(
    options.failureCooldownMs ?? ACCESS_TOKEN_DEFAULT_FAILURE_COOLDOWN_MS,
    "failureCooldownMs",
    WHAT,
  );
  const store = options.store ?? createInMemoryAccessTokenStore();
  const now = options.now ?? Date.now;

  let refreshing: Promise<CachedAccessToken> | undefined;
  let lastFailure: { error: unknown; until: number } | undefined;
  let softRefreshPausedUntil = Number.NEGATIVE_INFINITY;

  const isFresh = (token: CachedAccessToken, at: number) => at < token.expiresAt - refreshMarginMs;
  const isAlive = (token: CachedAccessToken, at: number) => at < token.expiresAt;

  async function getToken(): Promise<string> {
    const cached = await store.get();
    const at = now();
    if (cached !== undefined && isFresh(cached, at)) return cached.accessToken;
    const alive = cached !== undefined && isAlive(cached, at) ? cached : undefined;
    if (alive !== undefined && at < softRefreshPausedUntil) return alive.accessToken;
    if (lastFailure !== undefined && at < lastFailure.until) {
      if (alive !== undefined) return alive.accessToken;
      throw lastFailure.error;
    }
    try {
      return (await refreshOnce()).accessToken;
    } catch (error) {
      if (alive !== undefined) return alive.accessToken;
      throw error;
    }
  }

  /** Single flight: callers arriving while a refresh runs wait for that one. */
  function refreshOnce(): Promise<CachedAccessToken> {
    refreshing ??= refresh().finally(() => {
      refreshing = undefined;
    });
    return refreshing;
  }

  async function refresh(): Promise<CachedAccessToken> {
    const refreshUnlessDone = async (): Promise<CachedAccessToken> => {
      // Another instance, or a caller that read the store just before the last refresh ended,
      // may find a fresh token here: then WeChat is not asked at all.
      const current = await store.get();
      if (current !== undefined && isFresh(current, now())) return current;
      const issued = await fetchTokenRetryingWhileBusy();
      await store.set(issued);
      return issued;
    };
    try {
      const token = await (store.withRefreshLock === undefined
        ? refreshUnlessDone()
        : store.withRefreshLock(refreshUnlessDone));
      lastFailure = undefined;
      if (!isFresh(token, now())) softRefreshPausedUntil = now() + SOFT_REFRESH_PAUSE_MS;
      return token;
    } catch (error) {
      lastFailure = { error, until: now() + failureCooldownMs };
      options.onRefreshError?.(error);
      throw error;
    }
  }

  async function fetchTokenRetryingWhileBusy(): Promise<CachedAccessToken> {
    for (let attempt = 1; ; attempt++) {
      const sentAt = now();
      try {
        const { accessToken, expiresInSeconds } = await requestStableAccessToken({ baseUrl, appid, secret, timeoutMs });
        return { accessToken, expiresAt: sentAt + expiresInSeconds * 1000 };
      } catch (error) {
        if (!isWechatError(error) || error.kind !== "busy") throw error;
        const delay = busyBackoffMs[attempt - 1];
        if (delay === undefined) {
          throw new WechatError({
            kind: "busy",
            errcode: error.errcode,
            message: `${error.message} (gave up after ${attempt} attempt${attempt === 1 ? "" : "s"})`,
          });
        }
        await sleep(delay);
      }
    }
  }

  async function withAccessToken<T>(fn: (accessToken: string) => Promise<T>): Promise<T> {
    const token = await getToken();
    try {
      return await fn(token);
    } catch (error) {
      if (!isAccessTokenError(error)) throw error;
      await store.compareAndDelete(token);
      // Either a newer token is already cached (someone else recovered first) or this refreshes.
      const freshToken = await getToken();
      return await fn(freshToken);
    }
  }

  return {
    getToken,
    withAccessToken,
    expireToken: (accessToken) => store.compareAndDelete(accessToken),
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
