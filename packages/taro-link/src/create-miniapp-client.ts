import { createTRPCClient, createTRPCUntypedClient, type TRPCClient } from "@trpc/client";
import type { AnyRouter } from "@trpc/server/unstable-core-do-not-import";
import { installAbortControllerPolyfill } from "./abort-polyfill.ts";
import { taroLoginCodeSource, type CodeSource } from "./code-source.ts";
import { createSessionManager, DEFAULT_LOGIN_PATH, type SessionManager } from "./session.ts";
import { sessionLink, type SessionLostEvent } from "./session-link.ts";
import type { TaroLike } from "./taro-like.ts";
import type { RetryOptions } from "./taxonomy.ts";
import { taroRequestLink } from "./taro-request-link.ts";

export interface MiniappClientOptions {
  /** The tRPC endpoint, e.g. `https://api.example.com/trpc`. */
  url: string;
  /** `Taro` (or `wx`, or a fake in tests). */
  taro: TaroLike;
  /** Where login codes come from. Default: Taro.login. H5 and development builds pass their own. */
  codeSource?: CodeSource;
  /** The storage key holding the token and its expiry. Default "mp-auth.session". */
  storageKey?: string;
  /** Called when a session cannot be restored silently. */
  onSessionLost?: (event: SessionLostEvent) => void;
  /**
   * Called once when auth.login answers action `block` (WeChat's 40226): automatic logins stop
   * until `session.login()` is called (e.g. from a button on the blocked screen).
   */
  onBlocked?: (error: unknown) => void;
  /**
   * Backoff for action `retry`, used by auth.login (same code again) and by queries. Default 2
   * retries, 500 ms then 1500 ms, `retryAfterSeconds` up to 10 s. `{ retries: 0 }` turns it off.
   */
  retry?: RetryOptions;
  /** Also retry mutations on action `retry` (see SessionLinkOptions.retryMutations). Default false. */
  retryMutations?: boolean;
  /** Per-request timeout in milliseconds. Default 20 000. */
  timeoutMs?: number;
  /** Extra headers for every request (never an Authorization header: the session sets it). */
  headers?: Record<string, string> | (() => Record<string, string>);
  /** UNAUTHORIZED reasons a new login fixes. Default DEFAULT_RELOGIN_REASONS. */
  reloginReasons?: readonly string[];
  /** A stored token closer than this to its expiry is not reused at launch. Default 5 minutes. */
  expiryMarginMs?: number;
  /** Ask Taro.checkSession before reusing a stored token. Default true. */
  checkSession?: boolean;
  /** See SessionManagerOptions.reloginCooldownMs. Default 2000. */
  reloginCooldownMs?: number;
  /** Procedure paths, defaults "auth.login" and "auth.logout". */
  loginPath?: string;
  logoutPath?: string;
  /** See TaroFetchOptions / TaroRequestLinkOptions. */
  maxConcurrentRequests?: number;
  maxURLLength?: number;
}

/** The session controls an app needs. */
export type MiniappSession = Pick<
  SessionManager,
  "ensureSession" | "login" | "logout" | "getToken" | "getSession" | "clear" | "isBlocked"
>;

export interface MiniappClient<TRouter extends AnyRouter> {
  /** The typed tRPC client: every call carries the session and survives a lost one. */
  client: TRPCClient<TRouter>;
  session: MiniappSession;
}

/**
 * The whole client side in one call: `sessionLink` in front of `taroRequestLink`, plus a session
 * manager whose login and logout go through the same transport but never through sessionLink (a
 * refused login must not trigger another login).
 *
 * Import the router as a type only (`import type { AppRouter } from '@mp-auth/api'`): a value
 * import would bundle the whole server into the mini-program.
 */
export function createMiniappClient<TRouter extends AnyRouter>(options: MiniappClientOptions): MiniappClient<TRouter> {
  installAbortControllerPolyfill();
  const loginPath = options.loginPath ?? DEFAULT_LOGIN_PATH;
  const logoutPath = options.logoutPath ?? "auth.logout";
  const extraHeaders = options.headers;

  // The header function needs the session, and the session needs the transport: the manager
  // is only read when a request is sent, after it has been created below.
  let session: SessionManager | undefined;
  const transport = taroRequestLink<TRouter>({
    ...options,
    headers: ({ opList }) => ({
      ...(typeof extraHeaders === "function" ? extraHeaders() : extraHeaders),
      ...session?.authorizationHeaders(opList),
    }),
  });

  const sessionCalls = createTRPCUntypedClient<TRouter>({ links: [transport] });
  // The options of the session manager and of sessionLink have the same names as these.
  const manager = createSessionManager({
    ...options,
    codeSource: options.codeSource ?? taroLoginCodeSource(options.taro),
    exchangeCode: (code) => sessionCalls.mutation(loginPath, { code }),
    revokeSession: () => sessionCalls.mutation(logoutPath),
    loginPath,
  });
  session = manager;

  const client = createTRPCClient<TRouter>({
    links: [sessionLink<TRouter>({ ...options, session: manager }), transport],
  });

  return { client, session: manager };
}
