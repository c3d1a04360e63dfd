import { ApiError } from "../errors.ts";
import { deleteAccount, deleteAccountInput } from "../services/account-deletion.ts";
import { deleteReplacedAvatar, uploadAvatar, uploadAvatarInput } from "../services/avatars.ts";
import { bindPhone, bindPhoneInput } from "../services/phone.ts";
import { consumeUploadPoint } from "../services/upload-limits.ts";
import { publicUserSelect, toPublicUserJson } from "../services/users.ts";
import { createTRPCRouter, protectedProcedure } from "../trpc.ts";
import { updateProfileInput } from "./profile-input.ts";

export const userRouter = createTRPCRouter({
  /** The caller's public profile. Never openid, unionid or session_key. */
  me: protectedProcedure.query(({ ctx }) => toPublicUserJson(ctx.user)),

  /**
   * Stores the image chosen with `<button open-type="chooseAvatar">`: multipart/form-data with one
   * file field "file" (Taro.uploadFile, name "file"), PNG, JPEG, GIF or WebP by its first bytes, up
   * to AVATAR_MAX_BYTES. Answers `{ url }` for user.updateProfile. The per-user limit is counted
   * before the input: a limited user's body is never parsed.
   */
  uploadAvatar: protectedProcedure
    .use(async ({ ctx, next }) => {
      await consumeUploadPoint(ctx.deps.uploadRateLimiter, ctx.user.id);
      return next();
    })
    .input(uploadAvatarInput)
    .mutation(({ ctx, input }) => uploadAvatar(ctx, input)),

  /**
   * Sets nickname and/or avatar from the chooseAvatar + nickname-input flow. Omitted fields stay;
   * `avatarUrl: null` removes the avatar. A replaced avatar that was one of our uploads is deleted
   * (unless another profile shows it), so storage does not grow with every change.
   */
  updateProfile: protectedProcedure.input(updateProfileInput).mutation(async ({ ctx, input }) => {
    if (input.avatarUrl?.startsWith("http:") && !ctx.deps.allowHttpAvatarUrls) {
      throw new ApiError("INVALID_INPUT", { message: "Invalid input: avatarUrl must be an https URL" });
    }
    const user = await ctx.deps.db.user.update({
      where: { id: ctx.user.id },
      data: {
        ...(input.nickname === undefined ? {} : { nickname: input.nickname }),
        ...(input.avatarUrl === undefined ? {} : { avatarUrl: input.avatarUrl }),
      },
      select: publicUserSelect,
    });
    await ctx.deps.sessionCache.invalidateUser(ctx.user.id);
    if (input.avatarUrl !== undefined && ctx.user.avatarUrl !== user.avatarUrl) {
      await deleteReplacedAvatar(ctx, ctx.user.avatarUrl, user.avatarUrl);
    }
    return toPublicUserJson(user);
  }),

  /**
   * Binds the phone number from `<button open-type="getPhoneNumber">`: `{ code }` (current) or
   * `{ encryptedData, iv }` (legacy). Answers the updated profile.
   */
  bindPhone: protectedProcedure.input(bindPhoneInput).mutation(({ ctx, input }) => bindPhone(ctx, input)),

  /**
   * Deletes the caller's account (注销): `{ confirm: "DELETE" }` (ACCOUNT_DELETION_CONFIRMATION),
   * sent only after the user confirmed. Every session ends, personal data is erased, and the same
   * WeChat user's next login creates a new, empty account (services/account-deletion.ts).
   */
  deleteAccount: protectedProcedure.input(deleteAccountInput).mutation(async ({ ctx }) => {
    await deleteAccount(ctx.deps, { userId: ctx.user.id, now: ctx.now() });
    return { ok: true as const };
  }),
});
