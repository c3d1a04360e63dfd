import { TRPCClientError, type TRPCLink } from '@trpc/client';
import { observable, type Unsubscribable } from '@trpc/server/observable';
import type { AnyRouter } from '@trpc/server/unstable-core-do-not-import';
import { AUTH_ATTEMPT_CONTEXT_KEY, type AuthAttempt, type SessionManager } from './session.ts';
import { TaroRequestError } from './taro-request-error.ts';

/**
 * The `error.data.reason` values of an UNAUTHORIZED error that a new login fixes. Extend it when
 * the server adds one (e.g. "SESSION_KEY_STALE": WeChat rotated the session_key, and a login with
 * a fresh code fixes that too).
 */
export const DEFAULT_RELOGIN_REASONS: readonly string[] = [
  'NO_TOKEN',
  'MALFORMED_TOKEN',
  'UNKNOWN_TOKEN',
  'EXPIRED',
  'REVOKED',
];

export interface SessionLostEvent {
  /**
   * `retry-rejected`: the call was refused again after a new session was obtained.
   * `relogin-failed`: no new session could be obtained (error is the login's error).
   */
  reason: 'retry-rejected' | 'relogin-failed';
  error: unknown;
  /** The procedure whose call found out. */
  path: string;
}

export interface SessionLinkOptions {
  session: Pick<
    SessionManager,
    'loginPath' | 'getToken' | 'clearIfCurrent' | 'relogin' | 'pendingLogin' | 'loginGeneration'
  >;
  /** Default DEFAULT_RELOGIN_REASONS. */
  reloginReasons?: readonly string[];
  /**
   * Called when a session cannot be restored silently, e.g. to show a login prompt. Fired once per
   * login round, not once per failing call. The calls themselves still fail with their own error.
   */
  onSessionLost?: (event: SessionLostEvent) => void;
}

/** Whether `error` is an UNAUTHORIZED tRPC error with one of `reasons` as `data.reason`. */
export function isSessionError(error: unknown, reasons: readonly string[] = DEFAULT_RELOGIN_REASONS): boolean {
  const data = error !== null && typeof error === 'object' ? (error as { data?: unknown }).data : undefined;
  if (data === null || typeof data !== 'object') return false;
  const { code, reason } = data as { code?: unknown; reason?: unknown };
  return code === 'UNAUTHORIZED' && typeof reason === 'string' && reasons.indexOf(reason) >= 0;
}

/**
 * Keeps calls working across lost sessions. A call refused for a session reason waits for ONE
 * relogin shared by every call refused meanwhile, then is sent once more; if that fails too, its
 * error surfaces and onSessionLost fires. Calls made while a login is in flight wait for it
 * before going out. The login procedure itself and subscriptions pass straight through.
 *
 * Put it before the terminating link, whose header function must be the session's
 * `authorizationHeaders` (createMiniappClient wires both).
 */
export function sessionLink<TRouter extends AnyRouter>(options: SessionLinkOptions): TRPCLink<TRouter> {
  const { session, onSessionLost } = options;
  const reasons = options.reloginReasons ?? DEFAULT_RELOGIN_REASONS;
  let lastReportedGeneration = -1;

  const reportSessionLost = (event: SessionLostEvent) => {
    const generation = session.loginGeneration();
    if (generation === lastReportedGeneration) return;
    lastReportedGeneration = generation;
    try {
      onSessionLost?.(event);
    } catch (error) {
      // The app's callback must not keep the call from settling; its error still surfaces.
      setTimeout(() => {
        throw error;
      }, 0);
    }
  };

  return () =>
    ({ op, next }) => {
      if (op.type === 'subscription' || op.path === session.loginPath) return next(op);

      return observable((observer) => {
        let inner: Unsubscribable | null = null;
        let waiting = false;
        let closed = false;
        const signal = op.signal;

        const onAbort = () => {
          // While the call waits, no request is out to be aborted: end the call here.
          if (!waiting || closed) return;
          closed = true;
          observer.error(
            TRPCClientError.from(new TaroRequestError('aborted', `Aborted while waiting for a session: ${op.path}`)),
          );
        };
        signal?.addEventListener('abort', onAbort);

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

        const send = (isRetry: boolean) => {
          const attempt: AuthAttempt = { token: session.getToken() };
          inner = next({ ...op, context: { ...op.context, [AUTH_ATTEMPT_CONTEXT_KEY]: attempt } }).subscribe({
            next: (envelope) => observer.next(envelope),
            complete: () => observer.complete(),
            error: (error) => {
              if (!isSessionError(error, reasons)) {
                observer.error(error);
              } else if (isRetry) {
                session.clearIfCurrent(attempt.token);
                reportSessionLost({ reason: 'retry-rejected', error, path: op.path });
                observer.error(error);
              } else {
                waitFor(
                  () => session.relogin(attempt.token),
                  () => send(true),
                  (loginError) => {
                    reportSessionLost({ reason: 'relogin-failed', error: loginError, path: op.path });
                    observer.error(error);
                  },
                );
              }
            },
          });
        };

        const pending = session.pendingLogin();
        if (pending) {
          // A failed launch login is not this call's failure: send it anyway, the usual rules apply.
          waitFor(() => pending, () => send(false), () => send(false));
        } else {
          send(false);
        }

        return () => {
          closed = true;
          signal?.removeEventListener('abort', onAbort);
          inner?.unsubscribe();
        };
      });
    };
}
