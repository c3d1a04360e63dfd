import { initTRPC } from "@trpc/server";

// A router shaped like the real one, built only for its type (the mini-program imports the real
// router as a type, never as a value). The fake servers answer these procedures.
const t = initTRPC.create();
export const shapeRouter = t.router({
  auth: t.router({
    login: t.procedure
      .input((value) => value as { code: string })
      .mutation(() => ({
        token: "",
        expiresAt: "",
        user: { id: "", nickname: null as string | null, avatarUrl: null as string | null },
      })),
    logout: t.procedure.mutation(() => ({ ok: true })),
  }),
  user: t.router({
    me: t.procedure.query(() => ({ id: "", nickname: null as string | null, avatarUrl: null as string | null })),
  }),
});
export type ShapeRouter = typeof shapeRouter;
