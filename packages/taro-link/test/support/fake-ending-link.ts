import type { TRPCClientError, Operation, OperationLink, TRPCLink } from "@trpc/client";
import { observable } from "@trpc/server/observable";
import type { AnyTRPCRouter as AnyRouter } from "@trpc/server";

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
