import { isSqliteDatabase } from "@mp-auth/db";
import { decryptAndVerifyUserData, WechatError } from "@mp-auth/wechat";
import { z } from "zod";
import type { AppContext } from "../context.ts";
import { ApiError } from "../errors.ts";
import { wechatRefusal } from "../wechat-refusals.ts";
import { UnreadableSecretError } from "./secret-box.ts";
import { publicUserSelect, toPublicUserJson } from "./users.ts";
import { wechatCall } from "./wechat-apps.ts";

/** Legacy button data older than this is refused: it was produced for a tap minutes ago. */
const ENCRYPTED_DATA_MAX_AGE_SECONDS = 5 * 60;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Either form the getPhoneNumber button gives:
 * - `{ code }` (current): exchanged server-side with getuserphonenumber (needs an access_token);
 * - `{ encryptedData, iv }` (legacy): decrypted with the session_key stored at login.
 * encryptedData and iv are base64 and must travel in the JSON body: in a query string '+' turns to ' '.
 */
export const bindPhoneInput = z
  .object({
    code: z
      .string({ error: "code must be a string (detail.code from the getPhoneNumber button)" })
      .trim()
      .min(1, "code is required")
      .max(128, "code is too long for a phone number code")
      .regex(/^[\x21-\x7e]*$/, "code contains characters a phone number code never has")
      .optional(),
    encryptedData: z
      .string({ error: "encryptedData must be a string" })
      .max(8192, "encryptedData is too long")
      .regex(BASE64, "encryptedData must be base64 (was it sent in a query string, turning '+' into ' '?)")
      .optional(),
    iv: z
      .string({ error: "iv must be a string" })
      .regex(/^[A-Za-z0-9+/]{22}==$/, "iv must be base64 of 16 bytes (was '+' turned into ' '?)")
      .optional(),
  })
  .strict()
  .refine((input) => (input.code === undefined) !== (input.encryptedData === undefined && input.iv === undefined), {
    message: "pass either { code } or { encryptedData, iv } from the getPhoneNumber button",
  })
  .refine((input) => input.code !== undefined || (input.encryptedData !== undefined && input.iv !== undefined), {
    message: "encryptedData and iv go together",
  });

export type BindPhoneInput = z.infer<typeof bindPhoneInput>;

interface VerifiedPhone {
  phoneNumber: string;
  countryCode: string;
}

/**
 * Binds a WeChat-verified phone number to the caller. Policy when the number is already bound to
 * another user of this app: the newest verified binding wins. WeChat has just verified that the
 * number belongs to the caller now (numbers get recycled by carriers), so it moves to the caller
 * and is cleared from the previous user, in one transaction, and the move is logged with user ids.
 */
export async function bindPhone(ctx: AppContext & { user: { id: string } }, input: BindPhoneInput) {
  const { deps } = ctx;
  const account = await deps.db.user.findUniqueOrThrow({
    where: { id: ctx.user.id },
    select: { openid: true, sessionKeyCiphertext: true },
  });
  const phone =
    input.code !== undefined
      ? await phoneFromCode(ctx, input.code, account.openid)
      : await phoneFromEncryptedData(ctx, { encryptedData: input.encryptedData!, iv: input.iv! }, account);

  const now = ctx.now();
  const { user, previousHolders } = await deps.db.$transaction(async (tx) => {
    const previousWhere = { appid: ctx.app.appid, phoneNumber: phone.phoneNumber, NOT: { id: ctx.user.id } };
    // Their profiles change too: their cached sessions are invalidated below.
    const previousHolders = await tx.user.findMany({ where: previousWhere, select: { id: true } });
    const previous = await tx.user.updateMany({
      where: previousWhere,
      data: { phoneNumber: null, phoneCountryCode: null, phoneBoundAt: null },
    });
    if (previous.count > 0)
      deps.logger.info({ userId: ctx.user.id }, "phone number moved to this user from another user");
    const user = await tx.user.update({
      where: { id: ctx.user.id },
      data: { phoneNumber: phone.phoneNumber, phoneCountryCode: phone.countryCode, phoneBoundAt: now },
      select: publicUserSelect,
    });
    return { user, previousHolders };
  }, bindingIsolation(deps.db));
  for (const { id } of [...previousHolders, user]) await deps.sessionCache.invalidateUser(id);
  return toPublicUserJson(user);
}

async function phoneFromCode(ctx: AppContext, code: string, openid: string): Promise<VerifiedPhone> {
  try {
    // The caller's openid binds the code to them: WeChat refuses a code another user obtained.
    const info = await wechatCall(ctx, (wechat) => wechat.getUserPhoneNumber({ code, openid }));
    if (info.watermark.appid !== ctx.app.appid) throw new ApiError("ENCRYPTED_DATA_INVALID");
    return { phoneNumber: info.phoneNumber, countryCode: info.countryCode };
  } catch (error) {
    if (!(error instanceof WechatError)) throw error;
    ctx.deps.logger.warn({ wechatErrorKind: error.kind, errcode: error.errcode }, "getuserphonenumber refused");
    throw wechatRefusal("phone", error);
  }
}

async function phoneFromEncryptedData(
  ctx: AppContext,
  data: { encryptedData: string; iv: string },
  account: { openid: string; sessionKeyCiphertext: string | null },
): Promise<VerifiedPhone> {
  const { deps } = ctx;
  if (!account.sessionKeyCiphertext) throw new ApiError("SESSION_KEY_STALE");
  let sessionKey: string;
  try {
    sessionKey = deps.secretBox.decrypt(account.sessionKeyCiphertext);
  } catch (error) {
    // Stored under an encryption key since rotated out: as good as no key. The next login stores it
    // again under the current key.
    if (error instanceof UnreadableSecretError) throw new ApiError("SESSION_KEY_STALE");
    throw error;
  }
  let decrypted: Record<string, unknown>;
  try {
    decrypted = decryptAndVerifyUserData({
      ...data,
      sessionKey,
      appid: ctx.app.appid,
      maxAgeSeconds: ENCRYPTED_DATA_MAX_AGE_SECONDS,
      now: () => ctx.now().getTime(),
    });
  } catch (error) {
    if (!(error instanceof WechatError)) throw error;
    if (error.kind !== "decrypt_failed") throw wechatRefusal("phone", error);
    // Undecryptable: either WeChat rotated the session_key (a fresh login fixes it) or the data was
    // corrupted in transit (it will never decrypt). checksession tells which.
    throw (await isSessionKeyCurrent(ctx, account.openid, sessionKey))
      ? new ApiError("ENCRYPTED_DATA_INVALID", {
          message: "The encrypted data does not decrypt (corrupted in transit?): tap the button again.",
        })
      : new ApiError("SESSION_KEY_STALE");
  }
  const phoneNumber = decrypted.phoneNumber;
  const countryCode = decrypted.countryCode;
  if (typeof phoneNumber !== "string" || !phoneNumber) {
    throw new ApiError("ENCRYPTED_DATA_INVALID", { message: "The encrypted data holds no phone number." });
  }
  // WeChat sends countryCode as a string ("86"); a number is accepted, anything else is dropped.
  const country =
    typeof countryCode === "string" ? countryCode : typeof countryCode === "number" ? String(countryCode) : "";
  return { phoneNumber, countryCode: country };
}

/** False when WeChat says the key is stale, or cannot say: a relogin is the safe way out either way. */
async function isSessionKeyCurrent(ctx: AppContext, openid: string, sessionKey: string): Promise<boolean> {
  try {
    return await wechatCall(ctx, (wechat) => wechat.checkSessionKey({ openid, sessionKey }));
  } catch (error) {
    ctx.deps.logger.warn(
      { wechatErrorKind: error instanceof WechatError ? error.kind : "unknown" },
      "checksession failed",
    );
    return false;
  }
}

/**
 * READ COMMITTED on the server engines (PostgreSQL's default anyway). Under MySQL's REPEATABLE READ
 * the `updateMany` by phone number takes next-key (gap) locks on the (appid, phoneNumber) index, and
 * the `update` that writes the number inserts into a gap another binding has locked: 20 concurrent
 * bindings of 20 different numbers answered 19 DATABASE_BUSY (InnoDB deadlocks). SQLite transactions
 * are serializable by a write lock and take no isolation level.
 */
function bindingIsolation(db: AppContext["deps"]["db"]): { isolationLevel: "ReadCommitted" } | undefined {
  return isSqliteDatabase(db) ? undefined : { isolationLevel: "ReadCommitted" };
}
