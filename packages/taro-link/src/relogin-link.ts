import { TRPCClientError, type Operation, type TRPCLink } from "@trpc/client";
import { SESSION_REASONS } from "@mp-auth/contract";
import type { AnyTRPCRouter } from "@trpc/server";
import { observable, type Unsubscribable } from "@trpc/server/observable";
import { callSafely, describeError, isSessionError } from "./errors.ts";
import { holdCall } from "./hold-call.ts";
import { AUTH_ATTEMPT_CONTEXT_KEY, type AuthAttempt, type SessionManager } from "./session.ts";

export interface SessionLostEvent {
  /**
   * `retry-rejected`: the call was refused again after a new session was obtained.
   * `relogin-failed`: no new session could be obtained (error is the login's error).
   */
  reason: "retry-rejected" | "relogin-failed";
  error: unknown;
  /** The procedure (or authenticated request) whose call found out. */
  path: string;
}

export interface ReloginLinkOptions {
  session: Pick<
    SessionManager,
    "loginPath" | "getToken" | "clearIfCurrent" | "relogin" | "pendingLogin" | "loginsStarted"
  >;
  /** UNAUTHORIZED reasons a new login fixes, for servers that send no action. Default the contract's SESSION_REASONS. */
  reloginReasons?: readonly string[];
  /**
   * Called when a session cannot be restored silently, e.g. to show a login prompt. Fired once per
   * login round, not once per failing call. The calls themselves still fail with their own error.
   * Not fired when the login was blocked (the session's onBlocked is).
   */
  onSessionLost?: (event: SessionLostEvent) => void;
}

/**
 * One job: keep calls working across lost sessions.
 * - A call made while a login is in flight waits for it, instead of going out without a token.
 * - A call refused for a session reason (`isSessionError`) waits for ONE relogin shared by every
 *   call refused meanwhile (`session.relogin`: single flight, compare-and-clear), then is sent
 *   once more; refused again, its error surfaces and onSessionLost fires.
 * - The login procedure itself and subscriptions pass straight through.
 *
 * Put it before the transport, whose header function must be the session's
 * `authorizationHeaders`: that is how the link learns which token each call carried.
 */
export function reloginLink<TRouter extends AnyTRPCRouter>(options: ReloginLinkOptions): TRPCLink<TRouter> {
  // initialized config: shared by every client built from this link (tRPC calls and authenticated requests)
  const { session, onSessionLost, reloginReasons = SESSION_REASONS } = options;
  // Operations already sent again after a relogin: once per call, however often the retry link in
  // front resends the same operation.
  const relogged = new WeakSet<Operation>();
  let reportedRound = -1;
  const reportSessionLost = (event: SessionLostEvent) => {
    const round = session.loginsStarted();
    if (round === reportedRound) return;
    reportedRound = round;
    callSafely(onSessionLost, event);
  };

  return () =>
    // initialized in app
    ({ op, next }) => {
      if (op.type === "subscription" || op.path === session.loginPath) return next(op);
      // initialized for the call
      return observable((observer) => {
        let inner: Unsubscribable | undefined;
        let release: (() => void) | undefined;

        const send = () => {
          const attempt: AuthAttempt = { token: session.getToken() };
          inner = next({ ...op, context: { ...op.context, [AUTH_ATTEMPT_CONTEXT_KEY]: attempt } }).subscribe({
            next: (envelope) => observer.next(envelope),
            complete: () => observer.complete(),
            error: (error) => {
              if (!isSessionError(error, reloginReasons)) {
                observer.error(error);
              } else if (relogged.has(op)) {
                session.clearIfCurrent(attempt.token);
                reportSessionLost({ reason: "retry-rejected", error, path: op.path });
                observer.error(error);
              } else {
                release = holdCall(
                  op,
                  observer,
                  () => session.relogin(attempt.token),
                  () => {
                    relogged.add(op);
                    send();
                  },
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
        // A failed launch login is not this call's failure: it is sent anyway, the usual rules apply.
        if (pending) release = holdCall(op, observer, () => pending, send);
        else send();

        return () => {
          release?.();
          inner?.unsubscribe();
        };
      });
    };
}
