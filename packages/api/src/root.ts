import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import { authRouter } from "./routers/auth.ts";
import { notesRouter } from "./routers/notes.ts";
import { userRouter } from "./routers/user.ts";
import { createCallerFactory, createTRPCRouter } from "./trpc.ts";

export const appRouter = createTRPCRouter({
  auth: authRouter,
  user: userRouter,
  notes: notesRouter,
});

/** The API's type: clients import it with `import type` only. */
export type AppRouter = typeof appRouter;
export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;

export const createCaller = createCallerFactory(appRouter);

/**
 * The HTTP method a procedure takes (queries GET, mutations POST), or undefined for a path that is
 * no procedure: for the server's answers to other methods (405 with an Allow header).
 */
export function procedureMethod(path: string): "GET" | "POST" | undefined {
  // Walk the router's nested record: own keys only, so "constructor" or "__proto__" name nothing.
  let node: unknown = appRouter._def.record;
  for (const segment of path.split(".")) {
    if (node === null || typeof node !== "object" || !Object.prototype.hasOwnProperty.call(node, segment)) {
      return undefined;
    }
    node = (node as Record<string, unknown>)[segment];
  }
  const type = (node as { _def?: { type?: unknown } } | undefined)?._def?.type;
  return type === "query" ? "GET" : type === "mutation" ? "POST" : undefined;
}
