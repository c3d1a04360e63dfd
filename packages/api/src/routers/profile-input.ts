import { z } from "zod";

/** Counts what a person sees as characters: 👨‍👩‍👧 is one, not five code points. */
const graphemes = new Intl.Segmenter("zh-CN", { granularity: "grapheme" });
export function graphemeLength(text: string): number {
  let count = 0;
  for (const _ of graphemes.segment(text)) count++;
  return count;
}

export const NICKNAME_MAX_GRAPHEMES = 20;
export const AVATAR_URL_MAX_LENGTH = 1024;

/**
 * The nickname from `<input type="nickname">` (WeChat runs its content check on that input).
 * Trimmed; 1-20 visible characters; emoji and CJK welcome; no control or line-break characters.
 */
export const nicknameSchema = z
  .string({ error: "nickname must be a string" })
  .trim()
  .min(1, "nickname cannot be empty")
  // eslint-disable-next-line no-control-regex
  .refine((value) => /^[^\u0000-\u001f\u007f-\u009f\u2028\u2029]*$/u.test(value), {
    message: "nickname cannot contain control characters or line breaks",
    params: { rule: "control_characters" },
  })
  .refine((value) => graphemeLength(value) <= NICKNAME_MAX_GRAPHEMES, {
    message: `nickname is too long: at most ${NICKNAME_MAX_GRAPHEMES} characters`,
    params: { rule: "too_long" },
  })
  .refine((value) => !/\p{Cs}/u.test(value), {
    message: "nickname contains a broken emoji (lone surrogate)",
    params: { rule: "broken_emoji" },
  });

/**
 * The URL of an avatar the client already uploaded (POST /uploads/avatar answers one). The temporary
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
    .refine((value) => !/^(wxfile:|http:\/\/tmp\/|https?:\/\/usr\/)/i.test(value), {
      message:
        "avatarUrl is a temporary file path from chooseAvatar: upload the file first (POST /uploads/avatar) and send its URL",
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
