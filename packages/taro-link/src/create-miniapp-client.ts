import { createTRPCClient, createTRPCUntypedClient, type TRPCClient, type TRPCLink } from "@trpc/client";
import type { AnyTRPCRouter } from "@trpc/server";
import { createAuthenticatedRequest, type AuthenticatedRequest } from "./authenticated.ts";
import { taroLoginCodeSource, type CodeSource } from "./code-source.ts";
import type { RetryOptions } from "./errors.ts";
import { reloginLink, type SessionLostEvent } from "./relogin-link.ts";
import { retryLink } from "./retry-link.ts";
import { createSessionManager, DEFAULT_LOGIN_PATH, type SessionManager } from "./session.ts";
import type { TaroLike } from "./taro-like.ts";
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
   * Backoff for action `retry`, used by auth.login (same code again), queries and idempotent
   * authenticated requests. Default 2 retries, 500 ms then 1500 ms, `retryAfterSeconds` up to
   * 10 s. `{ retries: 0 }` turns it off.
   */
  retry?: RetryOptions;
  /** Also retry the client's mutations on action `retry` (see RetryLinkOptions.retryMutations). Default false. */
  retryMutations?: boolean;
  /** Per-request timeout in milliseconds. Default 20 000. */
  timeoutMs?: number;
  /**
   * Extra headers for every request, authenticated ones included (never Authorization: the session
   * sets it). A server of several mini-programs needs the app's appid: `{ [APPID_HEADER]: "wx..." }`
   * (APPID_HEADER from @mp-auth/contract; passed here rather than as an option of its own to keep
   * the link within its size budget).
   */
  headers?: Record<string, string> | (() => Record<string, string>);
  /** UNAUTHORIZED reasons a new login fixes. Default the contract's SESSION_REASONS. */
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

export interface MiniappClient<TRouter extends AnyTRPCRouter> {
  /** The typed tRPC client: every call carries the session and survives a lost one. */
  client: TRPCClient<TRouter>;
  /** The session controls an app needs. */
  session: Pick<
    SessionManager,
    "ensureSession" | "login" | "logout" | "getToken" | "getSession" | "clear" | "isBlocked"
  >;
  /** Runs a request outside the tRPC client (e.g. Taro.uploadFile) under the same session rules. */
  authenticated: AuthenticatedRequest;
}

/**
 * The whole client side in one call. The tRPC client's chain is
 * `retryLink -> reloginLink -> taroRequestLink`; authenticated requests go through
 * `retryLink (idempotent only) -> the same reloginLink -> send`. The session manager's login and
 * logout use the transport alone: a refused login must not trigger another login.
 *
 * Import the router as a type only (`import type { AppRouter } from '@mp-auth/api'`): a value
 * import would bundle the whole server into the mini-program.
 */
export function createMiniappClient<TRouter extends AnyTRPCRouter>(
  options: MiniappClientOptions,
): MiniappClient<TRouter> {
  const loginPath = options.loginPath ?? DEFAULT_LOGIN_PATH;
  const extraHeaders = options.headers;

  // The header function needs the session, and the session needs the transport: the manager
  // is only read when a request is sent, after it has been created below (creating it sends none).
  const headers: SessionManager["authorizationHeaders"] = (opList) => ({
    ...(typeof extraHeaders === "function" ? extraHeaders() : extraHeaders),
    ...session.authorizationHeaders(opList),
  });
  const transport = taroRequestLink<AnyTRPCRouter>({ ...options, headers: ({ opList }) => headers(opList) });

  const sessionCalls = createTRPCUntypedClient<AnyTRPCRouter>({ links: [transport] });
  // The options of the session manager and of the links have the same names as these.
  const session = createSessionManager({
    ...options,
    codeSource: options.codeSource ?? taroLoginCodeSource(options.taro),
    exchangeCode: (code) => sessionCalls.mutation(loginPath, { code }),
    revokeSession: () => sessionCalls.mutation(options.logoutPath ?? "auth.logout"),
    loginPath,
  });

  const relogin = reloginLink<AnyTRPCRouter>({ ...options, session });
  const client = createTRPCClient<TRouter>({
    links: [retryLink(options), relogin, transport] as TRPCLink<TRouter>[],
  });
  const authenticated = createAuthenticatedRequest([retryLink({ retry: options.retry }), relogin], headers);

  return { client, session, authenticated };
}
