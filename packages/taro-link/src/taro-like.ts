import { TaroRequestError } from "./taro-request-error.ts";

/**
 * The small part of Taro (or of `wx` itself) this package uses.
 *
 * It is taken as a parameter instead of importing `@tarojs/taro`, so the package has no Taro
 * dependency at runtime: the same code runs on every Taro platform, with the raw `wx` object, and
 * in Node tests with a fake. Every asynchronous API is driven through its `success` / `fail`
 * callbacks, which both `wx` and Taro support; Taro additionally returns a promise, whose
 * rejection this package swallows so a failed call never becomes an unhandled rejection.
 *
 * Storage uses the synchronous APIs on purpose: reading, comparing and removing the stored
 * session happen in one uninterrupted step, so compare-and-clear cannot race with a login that
 * finishes in between.
 */
export interface TaroLike {
  request(options: TaroRequestOptions): RequestTaskLike | void;
  login(options: TaroLoginOptions): unknown;
  /** Optional: platforms without it (H5, tests) skip the WeChat session check. */
  checkSession?(options: TaroCheckSessionOptions): unknown;
  getStorageSync(key: string): unknown;
  setStorageSync(key: string, data: unknown): void;
  removeStorageSync(key: string): void;
}

export type HttpMethod = "GET" | "POST";

export interface TaroRequestOptions {
  url: string;
  method: HttpMethod;
  header: Record<string, string>;
  /** Only set for POST: WeChat turns the `data` of a GET into a query string. */
  data?: string;
  /** Any value but "json" stops WeChat from parsing the body: we parse it ourselves. */
  dataType: "text";
  responseType: "text";
  timeout: number;
  success: (result: TaroRequestSuccess) => void;
  fail: (error: TaroCallbackError) => void;
}

/** `success` fires for every HTTP status; only network-level failures reach `fail`. */
export interface TaroRequestSuccess {
  statusCode: number;
  data: unknown;
  header?: Record<string, unknown>;
}

export interface TaroCallbackError {
  errMsg?: string;
}

/** What `wx.request` returns (Taro returns a promise carrying the same `abort`). */
export interface RequestTaskLike {
  abort(): void;
}

export interface TaroLoginOptions {
  timeout?: number;
  success: (result: { code?: string }) => void;
  fail: (error: TaroCallbackError) => void;
}

export interface TaroCheckSessionOptions {
  success: () => void;
  fail: (error: TaroCallbackError) => void;
}

/**
 * Taro's promise-returning APIs reject when `fail` is called. We already handle the failure in
 * the callback, so the rejection of the returned promise (if any) is deliberately ignored.
 */
export function ignoreReturnedRejection(returned: unknown): void {
  if (returned !== null && typeof returned === "object") {
    const then = (returned as { then?: unknown }).then;
    if (typeof then === "function") {
      then.call(returned, undefined, () => {});
    }
  }
}

export function describeCallbackError(error: unknown): string {
  if (error !== null && typeof error === "object") {
    const errMsg = (error as TaroCallbackError).errMsg;
    if (typeof errMsg === "string" && errMsg !== "") return errMsg;
    const message = (error as { message?: unknown }).message;
    if (typeof message === "string" && message !== "") return message;
  }
  return String(error);
}

/**
 * A platform's `fail` (`{ errMsg }`) as the TaroRequestError it means: a timeout when the
 * platform says so, a network failure otherwise (offline, DNS, TLS, domain not allowed...).
 */
export function requestFailed(error: unknown, request: string): TaroRequestError {
  const reason = describeCallbackError(error);
  return new TaroRequestError(
    /time ?out/i.test(reason) ? "timeout" : "network",
    `Request failed (${reason}): ${request}`,
  );
}
