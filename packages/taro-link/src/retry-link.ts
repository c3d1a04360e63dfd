import type { TRPCLink } from "@trpc/client";
import type { AnyTRPCRouter } from "@trpc/server";
import { observable, type Unsubscribable } from "@trpc/server/observable";
import { retryDelay, sleeper, type RetryOptions } from "./errors.ts";
import { holdCall } from "./hold-call.ts";

export interface RetryLinkOptions {
  /**
   * Backoff for calls failing with action `retry` (WX_BUSY, INTERNAL_SERVER_ERROR..., a network
   * failure or timeout). Default 2 retries, 500 ms then 1500 ms, `retryAfterSeconds` up to 10 s.
   * `{ retries: 0 }` turns it off.
   */
  retry?: RetryOptions;
  /**
   * Also retry mutations. Default false: a mutation that failed that way (a timeout, a 500 after a
   * partial write) may have taken effect, and sending it again could apply it twice; only the app
   * knows whether it is idempotent. Queries are always retried.
   */
  retryMutations?: boolean;
}

/**
 * One job: send a query again when it failed with action `retry`, after a backoff (`retryDelay`:
 * exponential, or the server's `retryAfterSeconds`). tRPC's own retryLink retries at once and
 * cannot abort a call while it waits, hence this one. Each call has its own budget of retries;
 * it resends the same operation object, which the relogin link behind it relies on to relog a
 * call in at most once.
 */
export function retryLink<TRouter extends AnyTRPCRouter>(options: RetryLinkOptions = {}): TRPCLink<TRouter> {
  // initialized config
  const sleep = sleeper(options.retry);
  return () =>
    // initialized in app
    ({ op, next }) => {
      // Subscriptions are never retried: only queries, and mutations when allowed.
      const retries = op.type === "query" || !!options.retryMutations;
      // initialized for the call
      return observable((observer) => {
        let failures = 0;
        let inner: Unsubscribable | undefined;
        let release: (() => void) | undefined;

        const attempt = () => {
          inner = next(op).subscribe({
            next: (envelope) => observer.next(envelope),
            complete: () => observer.complete(),
            error: (error) => {
              const delay = retries ? retryDelay(error, failures, options.retry) : -1;
              if (delay < 0) {
                observer.error(error);
                return;
              }
              failures++;
              release = holdCall(op, observer, () => sleep(delay), attempt);
            },
          });
        };
        attempt();

        return () => {
          release?.();
          inner?.unsubscribe();
        };
      });
    };
}
