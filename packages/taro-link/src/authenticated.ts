import { createTRPCUntypedClient, TRPCClientError, type TRPCLink } from "@trpc/client";
import type { AnyTRPCRouter } from "@trpc/server";
import { observable } from "@trpc/server/observable";
import type { SessionManager } from "./session.ts";
import { requestFailed } from "./taro-like.ts";

export interface AuthenticatedOptions {
  /**
   * Whether sending the request twice does no harm. Only then is it sent again after a failure
   * with action `retry` (a timeout, WX_BUSY, a 500), as queries are. Default false: like a
   * mutation, it might have taken effect. (A request refused with a session error is always
   * relogged in and sent once more: the server did not run it.)
   */
  idempotent?: boolean;
  /** Names the request in `onSessionLost` events, e.g. "user.uploadAvatar". Default "authenticated". */
  path?: string;
}

/**
 * Sends one request that is not a call of the tRPC client (e.g. `Taro.uploadFile`) under the
 * client's session rules. `send(headers)` must send it with `headers` (`{ Authorization: "Bearer
 * <token>" }`, or `{}` without a session) and resolve to its result, or reject with:
 * - a `TRPCClientError` carrying the server's `error.data` (what `readTrpcResponse` throws), so a
 *   session error triggers the relogin and a `retry` action the backoff;
 * - a platform failure (anything not an Error: Taro rejects with `{ errMsg }`), which counts as a
 *   network failure or a timeout, like a failed Taro.request.
 * Any other Error fails the request as it is (action `show`). It rejects with a TRPCClientError.
 */
export type AuthenticatedRequest = <TResult>(
  send: (headers: Record<string, string>) => Promise<TResult>,
  options?: AuthenticatedOptions,
) => Promise<TResult>;

type Send = (headers: Record<string, string>) => Promise<unknown>;

/**
 * Runs authenticated requests through the SAME links as the tRPC client's calls (the retry link,
 * then the relogin link shared with the client), ending in a link that calls `send`: waiting for
 * a login in flight, the shared single-flight relogin, compare-and-clear and onSessionLost behave
 * exactly as for tRPC calls, because they are the same code. An idempotent request travels as a
 * query (retried on `retry`), any other as a mutation.
 */
export function createAuthenticatedRequest(
  links: TRPCLink<AnyTRPCRouter>[],
  /** The headers of a request (the client's: appid, extra headers, the session's Authorization). */
  headersFor: SessionManager["authorizationHeaders"],
): AuthenticatedRequest {
  const sendLink: TRPCLink<AnyTRPCRouter> =
    () =>
    ({ op }) =>
      observable((observer) => {
        let open = true;
        // Read at send time, like the transport's header function: the newest token, recorded in op.context.
        (op.context["send"] as Send)(headersFor([op])).then(
          (data) => {
            if (!open) return;
            observer.next({ result: { type: "data", data } });
            observer.complete();
          },
          (error: unknown) => {
            if (!open) return;
            // What is not an Error is the platform's failure (Taro rejects with `{ errMsg }`).
            observer.error(TRPCClientError.from(error instanceof Error ? error : requestFailed(error, op.path)));
          },
        );
        return () => {
          open = false;
        };
      });
  const requests = createTRPCUntypedClient<AnyTRPCRouter>({ links: [...links, sendLink] });

  return <TResult>(
    send: (headers: Record<string, string>) => Promise<TResult>,
    { idempotent = false, path = "authenticated" }: AuthenticatedOptions = {},
  ) => requests[idempotent ? "query" : "mutation"](path, undefined, { context: { send } }) as Promise<TResult>;
}
