import { z } from "zod";
import { ApiError } from "../errors.ts";
import { loginWithCode } from "../services/login.ts";
import { LOGIN_HISTORY_PAGE_DEFAULT, LOGIN_HISTORY_PAGE_MAX, listOwnLoginAttempts } from "../services/login-history.ts";
import { pageInput } from "../services/paging.ts";
import { revokeSession, sessionSelect, toSessionJson } from "../services/sessions.ts";
import { createTRPCRouter, protectedProcedure, publicProcedure } from "../trpc.ts";

/** wx.login codes are 32 characters today; the bound leaves room without accepting junk. */
export const loginInput = z.object({
  code: z
    .string({ error: "code must be a string (the code from wx.login)" })
    .trim()
    .min(1, "code is required: pass the code from wx.login")
    .max(128, "code is too long: a wx.login code is about 32 characters")
    .regex(/^[\x21-\x7e]*$/, "code contains characters a wx.login code never has"),
});

export const authRouter = createTRPCRouter({
  /** Exchanges a wx.login code for a session token. */
  login: publicProcedure.input(loginInput).mutation(({ ctx, input }) => loginWithCode(ctx, input.code)),

  /** Ends the calling session. The user's other devices stay signed in. */
  logout: protectedProcedure.mutation(async ({ ctx }) => {
    await ctx.deps.db.session.updateMany({
      where: { id: ctx.session.id, revokedAt: null },
      data: { revokedAt: ctx.now(), revokedReason: "logout" },
    });
    await ctx.deps.sessionCache.invalidateUser(ctx.user.id);
    return { ok: true as const };
  }),

  /** The caller's signed-in devices (live sessions), newest first. */
  sessions: protectedProcedure.query(async ({ ctx }) => {
    const sessions = await ctx.deps.db.session.findMany({
      where: { userId: ctx.user.id, revokedAt: null, expiresAt: { gt: ctx.now() } },
      select: sessionSelect,
      orderBy: { createdAt: "desc" },
    });
    return sessions.map((session) => toSessionJson(session, ctx.session.id));
  }),

  /** Signs out one of the caller's devices. Another user's session id is NOT_FOUND, never revealed. */
  revoke: protectedProcedure
    .input(z.object({ id: z.string().min(1, "id is required").max(64, "id is too long") }))
    .mutation(async ({ ctx, input }) => {
      const revoked = await revokeSession(ctx.deps, { sessionId: input.id, userId: ctx.user.id }, "revoked", ctx.now());
      if (!revoked) throw new ApiError("NOT_FOUND", { message: "No live session with this id belongs to you." });
      return { ok: true as const };
    }),

  /** Signs out every device of the caller, this one included. */
  logoutAll: protectedProcedure.mutation(async ({ ctx }) => {
    const result = await ctx.deps.db.session.updateMany({
      where: { userId: ctx.user.id, revokedAt: null },
      data: { revokedAt: ctx.now(), revokedReason: "logout_all" },
    });
    await ctx.deps.sessionCache.invalidateUser(ctx.user.id);
    return { revoked: result.count };
  }),

  /**
   * The caller's own recent sign-in attempts, newest first, a bounded page at a time. Only attempts
   * attributed to the caller, and their address as a network (/24, /48), not the address itself.
   */
  history: protectedProcedure
    .input(
      z
        .object(pageInput({ defaultSize: LOGIN_HISTORY_PAGE_DEFAULT, maxSize: LOGIN_HISTORY_PAGE_MAX }))
        .default({ limit: LOGIN_HISTORY_PAGE_DEFAULT }),
    )
    .query(({ ctx, input }) =>
      listOwnLoginAttempts(ctx.deps.db, ctx.user.id, { limit: input.limit, cursor: input.cursor }),
    ),
});
