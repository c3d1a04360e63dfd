import { initTRPC } from "@trpc/server";
import { ZodError, z } from "zod";
import type { Context } from "./context.ts";
import { ApiError } from "./errors.ts";
import { authenticateSession } from "./services/sessions.ts";

/**
 * Machine-readable validation failures (`error.data.issues`), so clients choose their own words
 * without parsing English: `path` is the field ("nickname"), `code` zod's issue code ("too_small",
 * "invalid_type", ...) or, for our own checks, the rule they declare ("too_long", "control_characters").
 */
export interface InputIssue {
  path: string;
  code: string;
  message: string;
}

function inputIssues(error: ZodError): InputIssue[] {
  return error.issues.map((issue) => {
    const rule = issue.code === "custom" ? (issue.params as { rule?: unknown } | undefined)?.rule : undefined;
    return { path: issue.path.join("."), code: typeof rule === "string" ? rule : issue.code, message: issue.message };
  });
}

/**
 * No transformer on purpose: plain JSON on the wire (dates as ISO-8601 strings), so curl, a
 * mini-program and any other HTTP client can call the API.
 */
const t = initTRPC.context<Context>().create({
  // Never send stack traces, whatever NODE_ENV says.
  isDev: false,
  errorFormatter({ shape, error }) {
    const { stack: _stack, ...data } = shape.data;
    if (error instanceof ApiError) {
      return {
        ...shape,
        data: {
          ...data,
          reason: error.reason,
          action: error.action,
          retryable: error.retryable,
          ...(error.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: error.retryAfterSeconds }),
        },
      };
    }
    if (error.code === "BAD_REQUEST" && error.cause instanceof ZodError) {
      return {
        ...shape,
        message: `Invalid input: ${z.prettifyError(error.cause).replaceAll("\n", " ")}`,
        data: { ...data, reason: "INVALID_INPUT", action: "show", retryable: false, issues: inputIssues(error.cause) },
      };
    }
    if (error.code === "PARSE_ERROR" || (error.code === "BAD_REQUEST" && error.cause instanceof SyntaxError)) {
      // A malformed body is a bad request like any other to the caller.
      return {
        ...shape,
        code: -32600,
        message: "The request body is not valid JSON.",
        data: { ...data, code: "BAD_REQUEST" as const, reason: "INVALID_INPUT", action: "show", retryable: false },
      };
    }
    if (error.code === "INTERNAL_SERVER_ERROR") {
      // The cause may hold SQL, file paths or driver text: the server logs it, the client gets none.
      return { ...shape, message: "Internal server error.", data: { ...data, action: "retry", retryable: true } };
    }
    return { ...shape, data: { ...data, action: "show", retryable: false } };
  },
});

export const createTRPCRouter = t.router;
export const createCallerFactory = t.createCallerFactory;

/** Anyone may call. */
export const publicProcedure = t.procedure;

/**
 * Requires a live session: the token's hash must exist, be unexpired and unrevoked, on every call.
 * Refusals are UNAUTHORIZED with `data.reason` so clients can tell "log in again" from other errors.
 */
export const protectedProcedure = t.procedure.use(async ({ ctx, next }) => {
  const auth = await authenticateSession(ctx);
  return next({ ctx: { ...ctx, session: auth.session, user: auth.user } });
});
