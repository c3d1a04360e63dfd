import { initTRPC } from "@trpc/server";
import type { Context } from "./context.ts";
import { formatError } from "./error-format.ts";
import { authenticateSession } from "./services/sessions.ts";

/**
 * No transformer on purpose: plain JSON on the wire (dates as ISO-8601 strings), so curl, a
 * mini-program and any other HTTP client can call the API.
 */
const t = initTRPC.context<Context>().create({
  // Never send stack traces, whatever NODE_ENV says.
  isDev: false,
  // Every error answer in the contract's shape, with a reason from its table (error-format.ts).
  errorFormatter: ({ error, path }) => formatError(error, path),
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
