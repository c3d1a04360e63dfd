import { readErrorData, type ClientAction } from "@mp-auth/contract";
import { TaroRequestError } from "./taro-request-error.ts";

/** An error as a UI needs it: what to offer (by action) and what to say. */
export interface ErrorDescription {
  action: ClientAction;
  /** The server's `data.reason`, e.g. "WX_BUSY" (as sent: a newer server may send a reason this build does not know). */
  reason?: string;
  /** The tRPC code, e.g. "SERVICE_UNAVAILABLE". */
  code?: string;
  /** For TOO_MANY_REQUESTS: when the same call can succeed. */
  retryAfterSeconds?: number;
  message: string;
}

export interface RetryOptions {
  /** How many times a failed call is sent again. Default 2; 0 turns retrying off. */
  retries?: number;
  /** The first wait; each next one is 3 times longer (500 ms, 1500 ms, ...). Default 500. */
  baseDelayMs?: number;
  /**
   * The longest wait. A `retryAfterSeconds` above it is not waited for: the error surfaces at once
   * (the UI can offer "try again"). Default 10 000.
   */
  maxDelayMs?: number;
  /** Waits `ms` milliseconds; inject one in tests. Default setTimeout. */
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Classifies any error a call, an authenticated request, `session.login()` or `ensureSession()`
 * can reject with. A server error carries its action in `data.action` (read with the contract's
 * `readErrorData`, which drops malformed fields and unknown actions); a transport failure
 * (`TaroRequestError` network, timeout or bad_response, itself or as the `cause`) is `retry`;
 * anything else (an abort, a failed Taro.login, an unknown action) is `show`. For UIs: show -> the
 * message, retry -> a "try again" button, block -> the blocked screen, relogin -> the silent
 * relogin already failed: a login button calling `session.login()`.
 */
export function describeError(error: unknown): ErrorDescription {
  const { code, reason, action, retryAfterSeconds } = readErrorData(error);
  const cause = error instanceof TaroRequestError ? error : (error as { cause?: unknown } | null | undefined)?.cause;
  const message = (error as { message?: unknown } | null | undefined)?.message;
  return {
    action: action || (cause instanceof TaroRequestError && cause.kind !== "aborted" ? "retry" : "show"),
    // Each only when the server sent it well-formed (undefined otherwise).
    reason,
    code,
    retryAfterSeconds,
    message: typeof message === "string" && message !== "" ? message : String(error),
  };
}

/**
 * Whether `error` is an UNAUTHORIZED error a new login fixes: `data.action` is "relogin", or
 * `data.reason` is one of `reasons` (for servers that send no action; default the contract's
 * SESSION_REASONS, see the relogin link).
 */
export function isSessionError(error: unknown, reasons: readonly string[]): boolean {
  const { code, reason, action } = readErrorData(error);
  return code === "UNAUTHORIZED" && (action === "relogin" || (reason !== undefined && reasons.indexOf(reason) >= 0));
}

/**
 * How long to wait before sending again a call that failed with `error` after `failures` earlier
 * retries, or -1 not to retry: the action is not `retry`, the retries are used up, or the server's
 * `retryAfterSeconds` is above `maxDelayMs`.
 */
export function retryDelay(error: unknown, failures: number, options: RetryOptions = {}): number {
  const { retries = 2, baseDelayMs = 500, maxDelayMs = 10_000 } = options;
  const { action, retryAfterSeconds } = describeError(error);
  if (action !== "retry" || failures >= retries) return -1;
  const delay =
    retryAfterSeconds === undefined ? Math.min(baseDelayMs * 3 ** failures, maxDelayMs) : retryAfterSeconds * 1000;
  return delay > maxDelayMs ? -1 : delay;
}

export function sleeper({ sleep }: RetryOptions = {}): (ms: number) => Promise<void> {
  return sleep || ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
}

/** Calls an app callback; its error must not keep the call from settling, so it is rethrown apart. */
export function callSafely<T>(callback: ((value: T) => void) | undefined, value: T): void {
  try {
    callback?.(value);
  } catch (error) {
    setTimeout(() => {
      throw error;
    }, 0);
  }
}
