import { initTRPC, type AnyTRPCProcedure } from "@trpc/server";
import type { Context } from "./context.ts";
import { formatError } from "./error-format.ts";
import { sessionRefused } from "./errors.ts";
import { authenticateSession, type AuthenticatedSession } from "./services/sessions.ts";
import { resolveApp } from "./services/wechat-apps.ts";

/** Settings a procedure declares with `.meta({...})`, read by the server rather than by the resolver. */
export interface ProcedureMeta {
  /**
   * The resolver reads `opts.signal`, aborted when the client leaves before the answer is written.
   * The server's lean HTTP path (apps/server/src/trpc-fast-path.ts) makes an AbortSignal only for
   * procedures that say so: on Node 20 one costs about 4 us, a twentieth of a cached user.me's CPU.
   * The others get `signal: undefined`, which tRPC's types already allow (a server-side caller has
   * none either).
   */
  abortSignal?: boolean;
}

/** Whether a call of this procedure should get an AbortSignal (ProcedureMeta.abortSignal). */
export function procedureWantsAbortSignal(procedure: AnyTRPCProcedure): boolean {
  return (procedure.meta as ProcedureMeta | undefined)?.abortSignal === true;
}

/**
 * No transformer on purpose: plain JSON on the wire (dates as ISO-8601 strings), so curl, a
 * mini-program and any other HTTP client can call the API.
 */
const t = initTRPC
  .context<Context>()
  .meta<ProcedureMeta>()
  .create({
    // Never send stack traces, whatever NODE_ENV says.
    isDev: false,
    // Every error answer in the contract's shape, with a reason from its table (error-format.ts).
    errorFormatter: ({ error, path }) => formatError(error, path),
  });

export const createTRPCRouter = t.router;
export const createCallerFactory = t.createCallerFactory;

/** Anyone may call. The caller's mini-program is resolved first (`ctx.app`; services/wechat-apps.ts). */
export const publicProcedure = t.procedure.use(({ ctx, next }) =>
  next({ ctx: { ...ctx, app: resolveApp(ctx.deps, ctx.request) } }),
);

/**
 * Requires a live session: the token's hash must exist, be unexpired and unrevoked, on every call.
 * Refusals are UNAUTHORIZED with `data.reason` so clients can tell "log in again" from other errors.
 *
 * The app is resolved here too, in the same middleware, rather than by stacking this on
 * publicProcedure: each tRPC middleware level copies the call's options and context (object
 * spreads), which was a tenth of a cached user.me's CPU. Same order, same errors: the app first,
 * then the session.
 */
export const protectedProcedure = t.procedure.use(({ ctx, next }) => {
  const app = resolveApp(ctx.deps, ctx.request);
  // A token is valid for the app it was issued to only. To another app it is unknown, as if it did
  // not exist: the answer tells nothing about other apps, and the link simply logs in to this one.
  const proceed = (auth: AuthenticatedSession) => {
    if (auth.user.appid !== app.appid) throw sessionRefused("UNKNOWN_TOKEN");
    // tRPC merges these into the context itself.
    return next({ ctx: { app, session: auth.session, user: auth.user } });
  };
  // A cached session is answered synchronously (authenticateSession): no await then, no microtask.
  const auth = authenticateSession(ctx);
  return auth instanceof Promise ? auth.then(proceed) : proceed(auth);
});
