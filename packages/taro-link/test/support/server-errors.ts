import { ApiError, appRouter } from "@mp-auth/api";
import type { ErrorReason } from "@mp-auth/contract";
import { TRPCClientError } from "@trpc/client";
import { initTRPC, TRPCError, type AnyTRPCRouter } from "@trpc/server";
// Test code only: tRPC's own shaping of an error, so these fakes cannot drift from the server's.
import {
  getErrorShape,
  getHTTPStatusCodeFromError,
  type AnyRootTypes,
  type RootConfig,
} from "@trpc/server/unstable-core-do-not-import";

/** The body of an error answer: `{ error: shape }`, the shape made by `config`'s error formatter. */
export interface ErrorAnswer {
  status: number;
  envelope: { error: { message: string; code: number; data: Record<string, unknown> } };
}

function answerFor(config: RootConfig<AnyRootTypes>, error: TRPCError, path: string): ErrorAnswer {
  const shape: unknown = getErrorShape({ config, error, type: "query", path, input: undefined, ctx: undefined });
  return { status: getHTTPStatusCodeFromError(error), envelope: { error: shape as ErrorAnswer["envelope"]["error"] } };
}

/** What the REAL server (@mp-auth/api's router config and error formatter) answers for `error`. */
export function serverErrorAnswer(error: TRPCError, path = "test"): ErrorAnswer {
  return answerFor(appRouter._def._config, error, path);
}

/** The error a call rejects with when the real server answers `error` (as httpBatchLink makes it). */
export function serverError(error: TRPCError, path = "test"): TRPCClientError<AnyTRPCRouter> {
  return TRPCClientError.from(serverErrorAnswer(error, path).envelope);
}

/** An ApiError of `reason`, as the real server answers it. */
export const apiError = (reason: ErrorReason, options?: { retryAfterSeconds?: number }) =>
  serverError(new ApiError(reason, options));

/** Errors as the real server sends them, `data.action` and all. */
export const serverErrors = {
  noToken: () => apiError("NO_TOKEN"),
  expired: () => apiError("EXPIRED"),
  revoked: () => apiError("REVOKED"),
  sessionKeyStale: () => apiError("SESSION_KEY_STALE"),
  wxBusy: () => apiError("WX_BUSY"),
  /** An unexpected fault: the server hides its cause. */
  internal: () => serverError(new TRPCError({ code: "INTERNAL_SERVER_ERROR", cause: new Error("SQLITE_CORRUPT") })),
  rateLimited: (retryAfterSeconds: number) => apiError("LOGIN_RATE_LIMITED", { retryAfterSeconds }),
  codeUsed: () => apiError("WX_CODE_USED"),
  codeInvalid: () => apiError("WX_CODE_INVALID"),
  blocked: () => apiError("WX_USER_BLOCKED"),
  invalidInput: () => apiError("INVALID_INPUT"),
  notFound: () => apiError("NOT_FOUND"),
};

/**
 * Errors of a server that is NOT ours (an older API, another backend): tRPC's default shape, plus
 * whatever `data` this server adds (e.g. a `reason` without an `action`). Our server cannot send
 * these; the link must still handle them sensibly, which is what the tests using them check.
 */
export function foreignServerError(
  code: TRPCError["code"],
  extraData: Record<string, unknown> = {},
): TRPCClientError<AnyTRPCRouter> {
  const foreign = initTRPC.create({
    errorFormatter: ({ shape }) => ({ ...shape, data: { ...shape.data, ...extraData } }),
  });
  const config = foreign.router({})._def._config as RootConfig<AnyRootTypes>;
  return TRPCClientError.from(answerFor(config, new TRPCError({ code }), "test").envelope);
}
