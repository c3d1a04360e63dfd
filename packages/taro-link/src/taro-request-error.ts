/**
 * Why a request through `Taro.request` produced no usable tRPC response.
 * - `network`: `fail` was called (offline, DNS, TLS, domain not allowed...).
 * - `timeout`: no answer within the timeout.
 * - `aborted`: the caller aborted the call.
 * - `bad_response`: an answer came, but its body is not a tRPC response (e.g. a gateway's HTML page).
 */
export type TaroRequestErrorKind = "network" | "timeout" | "aborted" | "bad_response";

/**
 * The error `taroFetch` rejects with. `httpBatchLink` wraps it in a `TRPCClientError` whose
 * `cause` is this error, so callers can tell a timeout from a network failure:
 * `error.cause instanceof TaroRequestError && error.cause.kind === 'timeout'`.
 */
export class TaroRequestError extends Error {
  // `declare`: assigned in the constructor, so the bundle needs no class-field helper (see bench/size.ts).
  declare readonly kind: TaroRequestErrorKind;
  /** The HTTP status, when a response arrived. */
  declare readonly status: number | undefined;

  constructor(kind: TaroRequestErrorKind, message: string, status?: number) {
    super(message);
    // An aborted request is recognised by name, like the DOM's AbortError.
    this.name = kind === "aborted" ? "AbortError" : "TaroRequestError";
    this.kind = kind;
    this.status = status;
    // Keeps `instanceof` working when the mini-program compiler down-levels classes to ES5.
    Object.setPrototypeOf(this, TaroRequestError.prototype);
  }
}
