import type { Operation } from "@trpc/client";
import type { CodeSource } from "./code-source.ts";
import { ignoreReturnedRejection, type TaroLike } from "./taro-like.ts";
import { readErrorData } from "@mp-auth/contract";
import { callSafely, retryDelay, sleeper, type RetryOptions } from "./errors.ts";

/** What is kept in storage, under one key. */
export interface StoredSession {
  token: string;
  /** ISO-8601, as the server sends it. */
  expiresAt: string;
}

export interface LogoutResult {
  /** Whether the server confirmed the revocation. The local session is cleared either way. */
  revokedOnServer: boolean;
  /** Why the server call failed, if it did. */
  error?: unknown;
}

export const DEFAULT_STORAGE_KEY = "mp-auth.session";
export const DEFAULT_LOGIN_PATH = "auth.login";
/** A stored token this close to its expiry is not reused at launch: it could expire mid-use. */
export const DEFAULT_EXPIRY_MARGIN_MS = 5 * 60_000;
export const DEFAULT_RELOGIN_COOLDOWN_MS = 2_000;

/**
 * The relogin link puts an AuthAttempt in each operation's context; the header function fills in the
 * token it actually sent. The link needs that token to compare-and-clear, and to tell a failure
 * of a stale token (retry with the newer one) from a failure of the current one (log in again).
 */
export const AUTH_ATTEMPT_CONTEXT_KEY = "mpAuthAttempt";
export interface AuthAttempt {
  token: string | null;
}

export interface SessionManagerOptions {
  taro: Pick<TaroLike, "getStorageSync" | "setStorageSync" | "removeStorageSync" | "checkSession">;
  codeSource: CodeSource;
  /** Calls `auth.login({ code })` (without the relogin link: a refused login must not trigger another) and returns its answer. */
  exchangeCode: (code: string) => Promise<unknown>;
  /** Calls `auth.logout` with the stored token. */
  revokeSession?: () => Promise<unknown>;
  /** Default "mp-auth.session". */
  storageKey?: string;
  /** The login procedure's path, default "auth.login": it never carries a token nor triggers a relogin. */
  loginPath?: string;
  /** Default 5 minutes. */
  expiryMarginMs?: number;
  /**
   * After a failed relogin, calls refused within this many milliseconds fail with the same error
   * instead of starting another login: when the network is down, a trickle of refused calls
   * must not turn into a burst of Taro.login calls (WeChat allows only a few per second).
   * Explicit login()/ensureSession() calls are never held back by it (ensureSession is while
   * blocked, see onBlocked). Default 2000.
   */
  reloginCooldownMs?: number;
  /** Whether ensureSession asks `Taro.checkSession` before reusing a token (when the platform has it). Default true. */
  checkSession?: boolean;
  /**
   * Backoff for an auth.login answered with action `retry` (WX_BUSY, LOGIN_RATE_LIMITED...) or
   * failing on the network / by timeout: the SAME code is sent again (auth.login is idempotent for
   * a code's life). Default 2 retries, 500 ms then 1500 ms, `retryAfterSeconds` up to 10 s.
   */
  retry?: RetryOptions;
  /**
   * Called when auth.login answers action `block` (WX_USER_BLOCKED: WeChat's 40226, a high-risk
   * user). From then on nothing logs in automatically: every login the session would start fails
   * at once with that error, until the app calls `login()` itself (a user action).
   */
  onBlocked?: (error: unknown) => void;
  /** The clock, for tests. */
  now?: () => number;
}

export interface SessionManager {
  readonly loginPath: string;
  /** The stored token, whatever its expiry: the server alone judges it. */
  getToken(): string | null;
  getSession(): StoredSession | null;
  /**
   * At app launch: reuses a stored token that is not near its expiry while `Taro.checkSession`
   * succeeds (no network); otherwise logs in (or, while blocked, fails at once with the block
   * error). Concurrent calls share one run.
   */
  ensureSession(): Promise<StoredSession>;
  /**
   * Gets a code and calls auth.login. Concurrent calls share one in-flight login. Being an explicit
   * (user) action, it also ends a blocked state and tries again.
   */
  login(): Promise<StoredSession>;
  /** Whether auth.login answered `block`: automatic logins are off until `login()` is called. */
  isBlocked(): boolean;
  /** Calls auth.logout, then clears the stored session even if that call failed. */
  logout(): Promise<LogoutResult>;
  /** Forgets the stored session, without telling the server. */
  clear(): void;
  /** Clears the stored session only if it still holds `token`; returns whether it did. */
  clearIfCurrent(token: string | null): boolean;
  /**
   * For the relogin link: a call sent with `failedToken` was refused. Joins a login in flight; else
   * returns the stored token if it is a newer one; else clears `failedToken` and logs in (unless
   * a relogin failed within the cooldown, or the session is blocked: then it fails at once).
   */
  relogin(failedToken: string | null): Promise<string>;
  /** The launch check or login in flight, if any: new calls wait for it instead of going out without a token. */
  pendingLogin(): Promise<unknown> | null;
  /** How many logins have started; the relogin link reports a lost session once per login round. */
  loginsStarted(): number;
  /** The header function for the transport: `Authorization: Bearer <stored token>`. */
  authorizationHeaders(opList: readonly Pick<Operation, "path" | "context">[]): Record<string, string>;
}

/**
 * What the session is doing. At most one run of each kind exists; whoever asks meanwhile shares it.
 * - idle: nothing in flight.
 * - checking: ensureSession's launch check (stored token, expiry margin, Taro.checkSession).
 * - logging-in: one code, one auth.login (retried per the taxonomy), then store. `abandoned` is set
 *   by logout/clear: the login then stores nothing and fails.
 */
type Activity =
  | { name: "idle" }
  | { name: "checking"; run: Promise<StoredSession> }
  | { name: "logging-in"; run: Promise<StoredSession>; abandoned: boolean };
type Checking = Extract<Activity, { name: "checking" }>;
type LoggingIn = Extract<Activity, { name: "logging-in" }>;

/**
 * Whether the session may log in by itself (relogin, ensureSession without a usable token).
 * - allowed.
 * - cooling-down: a relogin failed; relogins fail with its error until `until`, so a trickle of
 *   refused calls while offline does not turn into a burst of Taro.login calls.
 * - blocked: auth.login answered `block`; every automatic login fails with that error until the
 *   app calls login() (a user action). A successful login makes it `allowed` again.
 */
type AutomaticLogins =
  { name: "allowed" } | { name: "cooling-down"; until: number; error: unknown } | { name: "blocked"; error: unknown };

const IDLE: Activity = { name: "idle" };
const ALLOWED: AutomaticLogins = { name: "allowed" };

export function createSessionManager(options: SessionManagerOptions): SessionManager {
  const {
    taro,
    codeSource,
    exchangeCode,
    revokeSession,
    storageKey = DEFAULT_STORAGE_KEY,
    loginPath = DEFAULT_LOGIN_PATH,
    expiryMarginMs = DEFAULT_EXPIRY_MARGIN_MS,
    checkSession: shouldCheckWechatSession = true,
    now = () => Date.now(),
    reloginCooldownMs = DEFAULT_RELOGIN_COOLDOWN_MS,
  } = options;
  const sleep = sleeper(options.retry);

  // The whole state besides storage (which holds the token), in one place.
  const state: { activity: Activity; automaticLogins: AutomaticLogins; loginsStarted: number } = {
    activity: IDLE,
    automaticLogins: ALLOWED,
    loginsStarted: 0,
  };

  function readStored(): StoredSession | null {
    let raw: unknown;
    try {
      raw = taro.getStorageSync(storageKey);
      if (typeof raw === "string") raw = raw === "" ? null : JSON.parse(raw);
    } catch {
      return null;
    }
    return toStoredSession(raw);
  }

  function removeStored(): void {
    try {
      taro.removeStorageSync(storageKey);
    } catch {
      // Nothing more can be done; the server will refuse the token once it is revoked or expired.
    }
  }

  function getToken(): string | null {
    const stored = readStored();
    return stored ? stored.token : null;
  }

  function clearIfCurrent(token: string | null): boolean {
    if (token === null || getToken() !== token) return false;
    removeStored();
    return true;
  }

  /** Forgets the stored session; a login in flight will store nothing. */
  function clear(): void {
    if (state.activity.name === "logging-in") state.activity.abandoned = true;
    removeStored();
  }

  /** idle -> logging-in, unless blocked. Concurrent callers share the login in flight. */
  function startLogin(): Promise<StoredSession> {
    const { activity, automaticLogins } = state;
    if (activity.name === "logging-in") return activity.run;
    if (automaticLogins.name === "blocked") return Promise.reject(automaticLogins.error);
    state.loginsStarted++;
    const login = { name: "logging-in", abandoned: false } as LoggingIn;
    login.run = logIn(login);
    state.activity = login;
    const done = () => {
      if (state.activity === login) state.activity = IDLE;
    };
    login.run.then(done, done);
    return login.run;
  }

  async function logIn(login: LoggingIn): Promise<StoredSession> {
    let code = await codeSource();
    let answer: unknown;
    for (let failures = 0, newCodes = 1; ;) {
      try {
        answer = await exchangeCode(code);
        break;
      } catch (error) {
        const delay = retryDelay(error, failures, options.retry);
        const { action } = readErrorData(error);
        if (delay >= 0) {
          // `retry` (or a network failure): the SAME code again, auth.login is idempotent for its life.
          failures++;
          await sleep(delay);
        } else if (action === "relogin" && newCodes-- > 0) {
          // WX_CODE_INVALID / WX_CODE_USED: this code is bad, a new one may not be.
          code = await codeSource();
        } else {
          if (action === "block") {
            state.automaticLogins = { name: "blocked", error };
            callSafely(options.onBlocked, error);
          }
          throw error;
        }
        if (login.abandoned) throw loggedOut();
      }
    }
    const session = toStoredSession(answer);
    if (!session) throw new Error(`${loginPath} answered without a token and expiresAt`);
    if (login.abandoned) throw loggedOut();
    taro.setStorageSync(storageKey, session);
    state.automaticLogins = ALLOWED;
    return session;
  }

  function wechatSessionAlive(): Promise<boolean> {
    const check = taro.checkSession;
    if (!shouldCheckWechatSession || typeof check !== "function") return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      try {
        const returned = check.call(taro, { success: () => resolve(true), fail: () => resolve(false) });
        ignoreReturnedRejection(returned);
      } catch {
        resolve(false);
      }
    });
  }

  /** idle -> checking -> idle (the stored token is good) or logging-in. */
  function ensureSession(): Promise<StoredSession> {
    if (state.activity.name !== "idle") return state.activity.run;
    const checking = { name: "checking" } as Checking;
    state.activity = checking;
    // Without a usable token this moves on to logging-in at once: calls then wait for that login.
    checking.run = (async () => {
      const stored = readStored();
      const usable = stored !== null && Date.parse(stored.expiresAt) - expiryMarginMs > now();
      if (usable && (await wechatSessionAlive()) && getToken() === stored.token) return stored;
      return startLogin();
    })();
    const done = () => {
      if (state.activity === checking) state.activity = IDLE;
    };
    checking.run.then(done, done);
    return checking.run;
  }

  async function relogin(failedToken: string | null): Promise<string> {
    if (state.activity.name === "logging-in") return (await state.activity.run).token;
    const current = getToken();
    if (current !== null && current !== failedToken) return current;
    clearIfCurrent(failedToken);
    const { automaticLogins } = state;
    if (automaticLogins.name === "cooling-down" && now() < automaticLogins.until) throw automaticLogins.error;
    try {
      return (await startLogin()).token;
    } catch (error) {
      if (state.automaticLogins.name !== "blocked") {
        state.automaticLogins = { name: "cooling-down", until: now() + reloginCooldownMs, error };
      }
      throw error;
    }
  }

  async function logout(): Promise<LogoutResult> {
    if (state.activity.name === "logging-in") state.activity.abandoned = true;
    let result: LogoutResult = { revokedOnServer: false };
    if (revokeSession && getToken() !== null) {
      try {
        await revokeSession();
        result = { revokedOnServer: true };
      } catch (error) {
        result = { revokedOnServer: false, error };
      }
    }
    removeStored();
    return result;
  }

  return {
    loginPath,
    getToken,
    getSession: readStored,
    ensureSession,
    login() {
      // An explicit (user) action: it ends a blocked state and tries again.
      if (state.automaticLogins.name === "blocked") state.automaticLogins = ALLOWED;
      return startLogin();
    },
    isBlocked: () => state.automaticLogins.name === "blocked",
    logout,
    clear,
    clearIfCurrent,
    relogin,
    pendingLogin: () => (state.activity.name === "idle" ? null : state.activity.run),
    loginsStarted: () => state.loginsStarted,
    authorizationHeaders(opList): Record<string, string> {
      if (opList.every((op) => op.path === loginPath)) return {};
      const token = getToken();
      // Only the relogin link puts an attempt there.
      for (const op of opList) {
        const attempt = op.context[AUTH_ATTEMPT_CONTEXT_KEY] as AuthAttempt | undefined;
        if (attempt) attempt.token = token;
      }
      return token === null ? {} : { Authorization: `Bearer ${token}` };
    },
  };
}

const loggedOut = () => new Error("Logged out while logging in");

function toStoredSession(value: unknown): StoredSession | null {
  if (value === null || typeof value !== "object") return null;
  const { token, expiresAt } = value as Partial<Record<keyof StoredSession, unknown>>;
  if (typeof token !== "string" || token === "" || typeof expiresAt !== "string") return null;
  return { token, expiresAt };
}
