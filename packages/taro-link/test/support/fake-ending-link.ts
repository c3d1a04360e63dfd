import { TRPCClientError, type Operation, type OperationLink, type TRPCLink } from "@trpc/client";
import { observable } from "@trpc/server/observable";
import type { AnyRouter } from "@trpc/server/unstable-core-do-not-import";

/** One operation that reached the fake ending link. */
export interface EndingCall {
  op: Operation;
  /** The headers the link "sent", from the `headers` function given to the fake. */
  headers: Record<string, string>;
  token: string | null;
  unsubscribed: boolean;
  answered: boolean;
  succeed(data: unknown): void;
  fail(error: TRPCClientError<AnyRouter>): void;
}

export interface FakeEndingLinkOptions {
  /** Called for each operation as it is "sent", like the transport's header function. */
  headers?: (opList: Operation[]) => Record<string, string>;
  /** Answers calls automatically; without it the test answers them through `calls`. */
  answer?: (call: EndingCall) => void;
}

/**
 * An error as httpBatchLink produces it from a tRPC error response; `extra` adds to its data, e.g.
 * `{ action: 'retry', retryAfterSeconds: 3 }` as the real server's errorFormatter sends.
 */
export function trpcError(
  code: string,
  reason?: string,
  httpStatus = 401,
  extra: Record<string, unknown> = {},
): TRPCClientError<AnyRouter> {
  const data: Record<string, unknown> = { code, httpStatus, path: "test", ...extra };
  if (reason !== undefined) data["reason"] = reason;
  return TRPCClientError.from({ error: { message: `${code} ${reason ?? ""}`.trim(), code: -32001, data } });
}

/** Errors shaped as the real server sends them: `data.action` and `data.retryable` from its taxonomy. */
export const serverErrors = {
  sessionKeyStale: () => trpcError("UNAUTHORIZED", "SESSION_KEY_STALE", 401, { action: "relogin", retryable: false }),
  expired: () => trpcError("UNAUTHORIZED", "EXPIRED", 401, { action: "relogin", retryable: false }),
  wxBusy: () => trpcError("SERVICE_UNAVAILABLE", "WX_BUSY", 503, { action: "retry", retryable: true }),
  internal: () => trpcError("INTERNAL_SERVER_ERROR", undefined, 500, { action: "retry", retryable: true }),
  rateLimited: (retryAfterSeconds: number) =>
    trpcError("TOO_MANY_REQUESTS", "LOGIN_RATE_LIMITED", 429, { action: "retry", retryable: true, retryAfterSeconds }),
  codeUsed: () => trpcError("BAD_REQUEST", "WX_CODE_USED", 400, { action: "relogin", retryable: false }),
  codeInvalid: () => trpcError("BAD_REQUEST", "WX_CODE_INVALID", 400, { action: "relogin", retryable: false }),
  blocked: () => trpcError("FORBIDDEN", "WX_USER_BLOCKED", 403, { action: "block", retryable: false }),
  invalidInput: () => trpcError("BAD_REQUEST", "INVALID_INPUT", 400, { action: "show", retryable: false }),
};

/**
 * A terminating link the test controls: it records every operation and the token it carried, and
 * answers only when told (or through `answer`).
 */
export function createFakeEndingLink(options: FakeEndingLinkOptions = {}) {
  const calls: EndingCall[] = [];

  const operationLink: OperationLink<AnyRouter> = ({ op }) =>
    observable((observer) => {
      const headers = options.headers?.([op]) ?? {};
      const authorization = headers["Authorization"];
      const call: EndingCall = {
        op,
        headers,
        token: authorization ? authorization.replace(/^Bearer /, "") : null,
        unsubscribed: false,
        answered: false,
        succeed(data) {
          if (call.answered || call.unsubscribed) return;
          call.answered = true;
          observer.next({ result: { type: "data", data } });
          observer.complete();
        },
        fail(error) {
          if (call.answered || call.unsubscribed) return;
          call.answered = true;
          observer.error(error);
        },
      };
      calls.push(call);
      options.answer?.(call);
      return () => {
        if (!call.answered) call.unsubscribed = true;
      };
    });

  const link: TRPCLink<AnyRouter> = () => operationLink;
  return {
    link,
    calls,
    callsTo: (path: string) => calls.filter((call) => call.op.path === path),
    pending: () => calls.filter((call) => !call.answered && !call.unsubscribed),
  };
}
