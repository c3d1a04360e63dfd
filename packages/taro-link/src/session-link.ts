import { TRPCClientError, type TRPCLink } from "@trpc/client";
import { observable, type Unsubscribable } from "@trpc/server/observable";
import type { AnyRouter } from "@trpc/server/unstable-core-do-not-import";
import { AUTH_ATTEMPT_CONTEXT_KEY, type AuthAttempt, type SessionManager } from "./session.ts";
import { TaroRequestError } from "./taro-request-error.ts";
import { callSafely, describeError, retryDelay, sleeper, type RetryOptions } from "./taxonomy.ts";

/**
 * The `error.data.reason` values of an UNAUTHORIZED error that a new login fixes, for servers
 * that do not send `data.action` (an UNAUTHORIZED with action "relogin" triggers it anyway).
 * "SESSION_KEY_STALE": WeChat rotated the user's session_key; a login with a fresh code fixes it.
 */
export const DEFAULT_RELOGIN_REASONS: readonly string[] = [
  "NO_TOKEN",
  "MALFORMED_TOKEN",
  "UNKNOWN_TOKEN",
  "EXPIRED",
  "REVOKED",
  "SESSION_KEY_STALE",
];

export interface SessionLostEvent {
  /**
   * `retry-rejected`: the call was refused again after a new session was obtained.
   * `relogin-failed`: no new session could be obtained (error is the login's error).
   */
  reason: "retry-rejected" | "relogin-failed";
  error: unknown;
  /** The procedure whose call found out. */
  path: string;
}

export interface SessionLinkOptions {
  session: Pick<
    SessionManager,
    "loginPath" | "getToken" | "clearIfCurrent" | "relogin" | "pendingLogin" | "loginGeneration"
  >;
  /** Default DEFAULT_RELOGIN_REASONS. */
  reloginReasons?: readonly string[];
  /**
   * Called when a session cannot be restored silently, e.g. to show a login prompt. Fired once per
   * login round, not once per failing call. The calls themselves still fail with their own error.
   * Not fired when the login was blocked (the session's onBlocked is).
   */
  onSessionLost?: (event: SessionLostEvent) => void;
  /**
   * Backoff for calls failing with action `retry` (WX_BUSY, INTERNAL_SERVER_ERROR..., a network
   * failure or timeout). Default 2 retries, 500 ms then 1500 ms, `retryAfterSeconds` up to 10 s.
   * `{ retries: 0 }` turns it off.
   */
  retry?: RetryOptions;
  /**
   * Also retry mutations on action `retry`. Default false: a mutation that failed that way (a
   * timeout, a 500 after a partial write) may have taken effect, and sending it again could apply
   * it twice; only the app knows whether it is idempotent. Queries are always retried.
   */
  retryMutations?: boolean;
}

/**
 * Whether `error` is an UNAUTHORIZED tRPC error a new login fixes: `data.action` is "relogin" or
 * `data.reason` is one of `reasons`.
 */
export function isSessionError(error: unknown, reasons: readonly string[] = DEFAULT_RELOGIN_REASONS): boolean {
  const { code, reason, action } = describeError(error);
  return code === "UNAUTHORIZED" && (action === "relogin" || (reason !== undefined && reasons.indexOf(reason) >= 0));
}

/**
 * Keeps calls working across lost sessions. A call refused for a session reason waits for ONE
 * relogin shared by every call refused meanwhile, then is sent once more; if that fails too, its
 * error surfaces and onSessionLost fires. Calls made while a login is in flight wait for it
 * before going out. A query failing with action `retry` is sent again after a backoff (mutations
 * only with `retryMutations`). The login procedure itself and subscriptions pass straight through.
 *
 * Put it before the terminating link, whose header function must be the session's
 * `authorizationHeaders` (createMiniappClient wires both).
 */
export function sessionLink<TRouter extends AnyRouter>(options: SessionLinkOptions): TRPCLink<TRouter> {
  const { session, onSessionLost } = options;
  const reasons = options.reloginReasons ?? DEFAULT_RELOGIN_REASONS;
  const sleep = sleeper(options.retry);
  let lastReportedGeneration = -1;

  const reportSessionLost = (event: SessionLostEvent) => {
    const generation = session.loginGeneration();
    if (generation === lastReportedGeneration) return;
    lastReportedGeneration = generation;
    callSafely(onSessionLost, event);
  };

  return () =>
    ({ op, next }) => {
      if (op.type === "subscription" || op.path === session.loginPath) return next(op);

      return observable((observer) => {
        let inner: Unsubscribable | null = null;
        let waiting = false;
        let closed = false;
        let failures = 0;
        const signal = op.signal;
        const mayRetry = op.type === "query" || options.retryMutations;

        const onAbort = () => {
          // While the call waits (for a session or a retry), no request is out to be aborted: end the call here.
          if (!waiting || closed) return;
          closed = true;
          observer.error(TRPCClientError.from(new TaroRequestError("aborted", `Aborted while waiting: ${op.path}`)));
        };
        signal?.addEventListener("abort", onAbort);

        const waitFor = (start: () => Promise<unknown>, onReady: () => void, onFailed: (error: unknown) => void) => {
          waiting = true;
          // Aborted before the wait began (e.g. while its batch was still out): never resend it.
          if (signal?.aborted) {
            onAbort();
            return;
          }
          start().then(
            () => {
              waiting = false;
              if (!closed) onReady();
            },
            (error: unknown) => {
              waiting = false;
              if (!closed) onFailed(error);
            },
          );
        };

        // `relogged`: sent again after a relogin, which happens once per call.
        const send = (relogged: boolean) => {
          const attempt: AuthAttempt = { token: session.getToken() };
          inner = next({ ...op, context: { ...op.context, [AUTH_ATTEMPT_CONTEXT_KEY]: attempt } }).subscribe({
            next: (envelope) => observer.next(envelope),
            complete: () => observer.complete(),
            error: (error) => {
              const delay = mayRetry ? retryDelay(error, failures, options.retry) : -1;
              if (delay >= 0) {
                failures++;
                waitFor(
                  () => sleep(delay),
                  () => send(relogged),
                  () => send(relogged),
                );
              } else if (!isSessionError(error, reasons)) {
                observer.error(error);
              } else if (relogged) {
                session.clearIfCurrent(attempt.token);
                reportSessionLost({ reason: "retry-rejected", error, path: op.path });
                observer.error(error);
              } else {
                waitFor(
                  () => session.relogin(attempt.token),
                  () => send(true),
                  (loginError) => {
                    // Blocked: the call fails with the block error (its action tells the UI why).
                    const blocked = describeError(loginError).action === "block";
                    if (!blocked) reportSessionLost({ reason: "relogin-failed", error: loginError, path: op.path });
                    observer.error(blocked ? TRPCClientError.from(loginError as Error) : error);
                  },
                );
              }
            },
          });
        };

        const pending = session.pendingLogin();
        if (pending) {
          // A failed launch login is not this call's failure: send it anyway, the usual rules apply.
          waitFor(
            () => pending,
            () => send(false),
            () => send(false),
          );
        } else {
          send(false);
        }

        return () => {
          closed = true;
          signal?.removeEventListener("abort", onAbort);
          inner?.unsubscribe();
        };
      });
    };
}
