import { toPublicUserJson } from "../services/users.ts";
import { createTRPCRouter, protectedProcedure } from "../trpc.ts";

export const userRouter = createTRPCRouter({
  /** The caller's public profile. Never openid, unionid or session_key. */
  me: protectedProcedure.query(({ ctx }) => toPublicUserJson(ctx.user)),
});
