import { TaroRequestError } from "./taro-request-error.ts";

/**
 * What to do about an error. The server decides and sends it as `error.data.action` (the same
 * union as `ClientAction` of @mp-auth/api, kept here so the link has no dependency on the API
 * package; a type test checks that both stay equal).
 * - relogin: get a fresh login code, call auth.login, retry the call once.
 * - retry: the same call may succeed later.
 * - show: tell the user; retrying will not help.
 * - block: WeChat refuses this user (errcode 40226): stop logging in automatically.
 */
export type ClientAction = "relogin" | "retry" | "show" | "block";

/** An error as a UI needs it: what to offer (by action) and what to say. */
export interface ErrorDescription {
  action: ClientAction;
  /** The server's `data.reason`, e.g. "WX_BUSY". */
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

const ACTIONS: readonly string[] = ["relogin", "retry", "show", "block"];

function dataOf(error: unknown): Record<string, unknown> {
  const data = error !== null && typeof error === "object" ? (error as { data?: unknown }).data : undefined;
  return data !== null && typeof data === "object" ? (data as Record<string, unknown>) : {};
}

/**
 * Describes any error a call, `session.login()` or `ensureSession()` can reject with: a server
 * error carries its action in `data.action`; a transport failure (`TaroRequestError` network,
 * timeout or bad-response, itself or as the `cause`) is `retry`; anything else (an abort, a
 * failed Taro.login, an unknown action) is `show`. For UIs: show -> the message, retry -> a "try
 * again" button, block -> the blocked screen, relogin -> the silent relogin already failed: a
 * login button calling `session.login()`.
 */
export function describeError(error: unknown): ErrorDescription {
  const { code, reason, action, retryAfterSeconds } = dataOf(error);
  const cause = error instanceof TaroRequestError ? error : (error as { cause?: unknown } | null | undefined)?.cause;
  const message = (error as { message?: unknown } | null | undefined)?.message;
  const description: ErrorDescription = {
    action:
      typeof action === "string" && ACTIONS.indexOf(action) >= 0
        ? (action as ClientAction)
        : cause instanceof TaroRequestError && cause.kind !== "aborted"
          ? "retry"
          : "show",
    message: typeof message === "string" && message !== "" ? message : String(error),
  };
  if (typeof reason === "string") description.reason = reason;
  if (typeof code === "string") description.code = code;
  if (typeof retryAfterSeconds === "number") description.retryAfterSeconds = retryAfterSeconds;
  return description;
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
