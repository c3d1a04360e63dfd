import { TRPCClientError, type Operation } from "@trpc/client";
import type { AnyTRPCRouter } from "@trpc/server";
import { TaroRequestError } from "./taro-request-error.ts";

/**
 * Holds a call while none of its requests is out (it waits for a login, or for a backoff to
 * pass), then goes on with `onReady`, or `onFailed` when the wait rejects. `observer` is the call's. Both waiting links use
 * it, so a held call behaves the same in each:
 * - aborting the call's signal fails it at once with an `aborted` TaroRequestError: no request is
 *   out that the transport could abort;
 * - a call aborted before the wait began (e.g. while its batch was still out) is never resent;
 * - the returned `release` (the link calls it when the caller unsubscribes) drops the call silently.
 */
export function holdCall(
  { path, signal }: Pick<Operation, "path" | "signal">,
  observer: { error(error: TRPCClientError<AnyTRPCRouter>): void },
  wait: () => Promise<unknown>,
  onReady: () => void,
  onFailed: (error: unknown) => void = onReady,
): () => void {
  let held = true;
  const release = () => {
    held = false;
    if (signal) signal.removeEventListener("abort", onAbort);
  };
  const resume = (next: () => void) => {
    if (held) {
      release();
      next();
    }
  };
  function onAbort() {
    resume(() =>
      observer.error(TRPCClientError.from(new TaroRequestError("aborted", `Aborted while waiting: ${path}`))),
    );
  }
  if (signal) {
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort);
  }
  if (held) {
    wait().then(
      () => resume(onReady),
      (error: unknown) => resume(() => onFailed(error)),
    );
  }
  return release;
}
