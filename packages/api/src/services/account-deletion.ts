import { ACCOUNT_DELETION_CONFIRMATION } from "@mp-auth/contract";
import type { Prisma } from "@mp-auth/db";
import { z } from "zod";
import type { ApiDependencies } from "../context.ts";
import { ApiError } from "../errors.ts";
import { parseOperatorInput } from "./account-status.ts";
import { deleteReplacedAvatar } from "./avatars.ts";

/**
 * Account deletion (注销): the user's personal data is erased at once, and the row stays as a
 * tombstone so what refers to its id stays consistent (see README "Account deletion").
 *
 * Erased: nickname, avatar URL (and the file, when it is one of our uploads nobody else shows),
 * phone number and its country code and binding time, the encrypted session_key, unionid, the
 * openid (replaced, below), an operator's ban note, every session row and login attempt (they
 * hold the device's IP and user agent), and every note (the example feature's rows are the user's
 * own writing: the tombstone keeps the user row, so its onDelete: Cascade does not run). Kept: the
 * id, appid, createdAt, lastLoginAt and deletedAt.
 *
 * The openid is replaced with `deleted:<id>` rather than cleared: the (appid, openid) unique index
 * stays as it is (a nullable openid would mean rebuilding the SQLite table and widening every
 * reader's type), ids are unique so no two tombstones collide, and no WeChat openid contains ':'
 * (they are 28 characters of [A-Za-z0-9_-]), so the WeChat user's next login finds no row and
 * creates a fresh, empty account with a new id.
 */
export const deleteAccountInput = z.object({ confirm: z.literal(ACCOUNT_DELETION_CONFIRMATION) }).strict();

/** The openid a deleted account's row keeps instead of the real one. */
export function tombstoneOpenid(userId: string): string {
  return `deleted:${userId}`;
}

const erasedPersonalData = {
  unionid: null,
  nickname: null,
  avatarUrl: null,
  phoneNumber: null,
  phoneCountryCode: null,
  phoneBoundAt: null,
  sessionKeyCiphertext: null,
  sessionKeyUpdatedAt: null,
  bannedAt: null,
  bannedUntil: null,
  banReason: null,
} as const satisfies Prisma.UserUpdateInput;

const deleteAccountOptions = z.object({ userId: z.string().trim().min(1).max(64), now: z.date().optional() });

/**
 * Deletes an account: called by user.deleteAccount for the caller, and by operators with a user id.
 * NOT_FOUND for an unknown or already deleted id.
 */
export async function deleteAccount(
  deps: Pick<ApiDependencies, "db" | "sessionCache" | "avatarStore" | "logger" | "now">,
  input: { userId: string; now?: Date | undefined },
): Promise<{ sessionsEnded: number }> {
  const { userId, now: givenNow } = parseOperatorInput(deleteAccountOptions, input);
  const now = givenNow ?? deps.now?.() ?? new Date();
  const { avatarUrl, sessionsEnded } = await deps.db.$transaction(async (tx) => {
    const user = await tx.user.findUnique({ where: { id: userId }, select: { avatarUrl: true, deletedAt: true } });
    if (!user || user.deletedAt) throw new ApiError("NOT_FOUND", { message: "No account has this id." });
    await tx.user.update({
      where: { id: userId },
      data: { ...erasedPersonalData, openid: tombstoneOpenid(userId), deletedAt: now },
      select: { id: true },
    });
    const { count } = await tx.session.deleteMany({ where: { userId } });
    // The login history holds the device's IP and user agent too.
    await tx.loginAttempt.deleteMany({ where: { userId } });
    await tx.note.deleteMany({ where: { userId } });
    return { avatarUrl: user.avatarUrl, sessionsEnded: count };
  });
  // After the commit, and awaited: no instance may answer from a cached session once this returns.
  await deps.sessionCache.invalidateUser(userId);
  // The profile no longer shows it: the file goes unless another profile shows the same URL.
  await deleteReplacedAvatar({ deps }, avatarUrl, null);
  deps.logger.info({ userId, sessionsEnded }, "account deleted");
  return { sessionsEnded };
}
