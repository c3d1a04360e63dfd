import { AVATAR_URL_MAX_LENGTH, isTemporaryFilePath, nicknameProblem, nicknameRuleMessage } from "@mp-auth/contract";
import { z } from "zod";

/**
 * The nickname from `<input type="nickname">` (WeChat runs its content check on that input),
 * judged by the contract's rule, the one the mini-program checks before sending: trimmed, 1-20
 * visible characters, no control, format or direction characters, not invisible-only. The issue
 * code is the rule's name (too_small, too_long, control_characters, invisible, broken_emoji).
 */
export const nicknameSchema = z
  .string({ error: "nickname must be a string" })
  .trim()
  .superRefine((value, ctx) => {
    const rule = nicknameProblem(value);
    if (rule) ctx.addIssue({ code: "custom", message: nicknameRuleMessage(rule), params: { rule } });
  });

/**
 * The URL of an avatar the client already uploaded (user.uploadAvatar answers one). The temporary
 * path that `<button open-type="chooseAvatar">` gives (wxfile://, http://tmp/...) exists only on the
 * phone and is refused with a hint. https only, except in development (`allowHttp`), where the
 * server's own upload URLs are plain http.
 */
export function avatarUrlSchema(allowHttp: boolean) {
  const protocols = allowHttp ? /^https?$/ : /^https$/;
  return z
    .string({ error: "avatarUrl must be a string" })
    .trim()
    .max(AVATAR_URL_MAX_LENGTH, `avatarUrl is too long: at most ${AVATAR_URL_MAX_LENGTH} characters`)
    .refine((value) => !isTemporaryFilePath(value), {
      message:
        "avatarUrl is a temporary file path from chooseAvatar: upload the file first (user.uploadAvatar) and send its URL",
      params: { rule: "temporary_path" },
    })
    .pipe(
      z.url({
        protocol: protocols,
        hostname: z.regexes.hostname,
        error: allowHttp ? "avatarUrl must be an http(s) URL" : "avatarUrl must be an https URL",
      }),
    )
    .refine((value) => !new URL(value).username && !new URL(value).password, "avatarUrl cannot carry credentials");
}

/** Input of user.updateProfile. Whether plain http avatars are allowed is decided per server, in the resolver. */
export const updateProfileInput = z
  .object({
    nickname: nicknameSchema.optional(),
    avatarUrl: avatarUrlSchema(true).nullable().optional(),
  })
  .strict()
  .refine((input) => input.nickname !== undefined || input.avatarUrl !== undefined, "pass nickname and/or avatarUrl");
