/**
 * Input rules both sides apply: the server judges (user.updateProfile), the mini-program checks the
 * same rule before sending so its hint never disagrees with the server's verdict.
 */

/** The `code` of an input issue raised by one of our own rules (zod's own codes come besides). */
export const INPUT_RULES = {
  too_small: "cannot be empty",
  too_long: "is too long",
  control_characters: "cannot contain control characters, direction overrides or line breaks",
  invisible: "must contain visible characters",
  broken_emoji: "contains a broken emoji (lone surrogate)",
  temporary_path: "is a temporary file path from chooseAvatar: upload the file first and send its URL",
} as const;
export type InputIssueCode = keyof typeof INPUT_RULES;

/** Nicknames: 1-20 visible characters after trimming (an emoji family counts as one). */
export const NICKNAME_MAX_GRAPHEMES = 20;

interface SegmenterLike {
  segment(text: string): Iterable<unknown>;
}
export type SegmenterFactory = () => SegmenterLike | undefined;

function defaultSegmenter(): SegmenterLike | undefined {
  // Some mini-program engines have no Intl at all: referencing it bare would throw.
  if (typeof Intl === "undefined") return undefined;
  const intl = Intl as unknown as {
    Segmenter?: new (locale: string, options: { granularity: "grapheme" }) => SegmenterLike;
  };
  return typeof intl.Segmenter === "function" ? new intl.Segmenter("zh-CN", { granularity: "grapheme" }) : undefined;
}

/**
 * Visible characters (grapheme clusters): 👨‍👩‍👧 and 🇨🇳 are one each. Engines without
 * Intl.Segmenter (older WeChat clients) fall back to code points, which counts composed emoji as
 * several: the client is then stricter than the server, never looser.
 */
export function countGraphemes(text: string, createSegmenter: SegmenterFactory = defaultSegmenter): number {
  const segmenter = createSegmenter();
  if (!segmenter) return Array.from(text).length;
  let count = 0;
  for (const _segment of segmenter.segment(text)) count++;
  return count;
}

const ZWJ = 0x200d;
/** Bidirectional controls (Unicode's Bidi_Control): they reorder what a reader sees (U+202E...). */
const BIDI_CONTROL = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/u;
/** Control characters, line and paragraph separators. */
const CONTROL = /[\p{Cc}\p{Zl}\p{Zp}]/u;
/** Format characters (Cf): zero-width space, word joiner, BOM... ZWJ and tags are judged apart. */
const FORMAT = /\p{Cf}/u;
const EMOJI = /\p{Extended_Pictographic}|\p{Regional_Indicator}/u;
/** What may stand between an emoji and a joiner or tag: variation selectors and skin tones. */
const EMOJI_MODIFIER = /\uFE0E|\uFE0F|[\u{1F3FB}-\u{1F3FF}]/u;
const TAG = /[\u{E0020}-\u{E007F}]/u;
/**
 * What a reader cannot see: white space, joiners, marks and variation selectors, tags, and the
 * "blank letters" (Hangul fillers, braille blank) used to fake an empty name.
 */
const INVISIBLE = /[\p{White_Space}\p{Cf}\p{Mn}\p{Me}\uFE00-\uFE0F\u115F\u1160\u3164\uFFA0\u2800]/gu;

/**
 * ZWJ and tag characters are legitimate only inside emoji sequences (👨‍👩‍👧, 🏴 flags): right after
 * an emoji, a modifier, or another tag.
 */
function isJoinerOrTagMisused(codePoints: string[], index: number): boolean {
  for (let previous = index - 1; previous >= 0; previous--) {
    const before = codePoints[previous]!;
    if (EMOJI.test(before)) return false;
    if (EMOJI_MODIFIER.test(before) || TAG.test(before)) continue;
    return true;
  }
  return true;
}

/**
 * The first rule a nickname breaks, or undefined when it is acceptable. The value is judged as
 * saved: trimmed. A nickname is 1-20 visible characters, without control or format characters
 * (zero-width spaces, direction overrides), and cannot be made of invisible characters only.
 */
export function nicknameProblem(
  raw: string,
  createSegmenter: SegmenterFactory = defaultSegmenter,
): InputIssueCode | undefined {
  return lineTextProblem(raw, { maxGraphemes: NICKNAME_MAX_GRAPHEMES }, createSegmenter);
}

/**
 * The rule of a short visible text on one line (a nickname, a note's title), judged trimmed: not
 * empty, no control or format characters (line breaks, zero-width spaces, direction overrides;
 * ZWJ and tags only inside emoji), not invisible characters only, at most `maxGraphemes` visible
 * characters and, when given, `maxCodeUnits` UTF-16 code units (one grapheme can stack any number
 * of combining marks, so graphemes alone do not bound what is stored).
 */
export function lineTextProblem(
  raw: string,
  limits: { maxGraphemes: number; maxCodeUnits?: number },
  createSegmenter: SegmenterFactory = defaultSegmenter,
): InputIssueCode | undefined {
  const value = raw.trim();
  if (value === "") return "too_small";
  if (limits.maxCodeUnits !== undefined && value.length > limits.maxCodeUnits) return "too_long";
  if (/\p{Cs}/u.test(value)) return "broken_emoji";
  if (CONTROL.test(value) || BIDI_CONTROL.test(value)) return "control_characters";
  const codePoints = Array.from(value);
  for (let index = 0; index < codePoints.length; index++) {
    const char = codePoints[index]!;
    const isJoiner = char.codePointAt(0) === ZWJ;
    if ((isJoiner || TAG.test(char)) && isJoinerOrTagMisused(codePoints, index)) return "control_characters";
    if (!isJoiner && !TAG.test(char) && FORMAT.test(char)) return "control_characters";
  }
  if (value.replace(INVISIBLE, "") === "") return "invisible";
  if (countGraphemes(value, createSegmenter) > limits.maxGraphemes) return "too_long";
  return undefined;
}

/**
 * The rule of a longer text that may span lines (a note's body), judged trimmed: may be empty;
 * line breaks and tabs allowed, other control characters and lone surrogates not; at most
 * `maxGraphemes` visible characters and `maxCodeUnits` UTF-16 code units.
 */
export function multilineTextProblem(
  raw: string,
  limits: { maxGraphemes: number; maxCodeUnits: number },
  createSegmenter: SegmenterFactory = defaultSegmenter,
): InputIssueCode | undefined {
  const value = raw.trim();
  if (value.length > limits.maxCodeUnits) return "too_long";
  if (/\p{Cs}/u.test(value)) return "broken_emoji";
  if (/[^\P{Cc}\t\n\r]|[\u2028\u2029]/u.test(value)) return "control_characters";
  if (countGraphemes(value, createSegmenter) > limits.maxGraphemes) return "too_long";
  return undefined;
}

/** The English sentence for a nickname rule (the mini-program words its own in Chinese). */
export function nicknameRuleMessage(rule: InputIssueCode): string {
  return rule === "too_long"
    ? `nickname is too long: at most ${NICKNAME_MAX_GRAPHEMES} characters`
    : `nickname ${INPUT_RULES[rule]}`;
}

/** Avatars: what the user.uploadAvatar mutation accepts, judged by the file's first bytes. */
export const AVATAR_MAX_BYTES = 2 * 1024 * 1024;
export const AVATAR_IMAGE_TYPES = ["image/png", "image/jpeg", "image/gif", "image/webp"] as const;
export const AVATAR_URL_MAX_LENGTH = 1024;
/** The multipart field the file travels in (Taro.uploadFile `name`). */
export const AVATAR_UPLOAD_FIELD = "file";
/**
 * The upload is a tRPC mutation taking multipart/form-data: POST `<tRPC URL>/user.uploadAvatar`
 * (Taro.uploadFile to `${apiUrl}/${AVATAR_UPLOAD_PROCEDURE}`), answered `{ result: { data: { url } } }`.
 */
export const AVATAR_UPLOAD_PROCEDURE = "user.uploadAvatar";
/** The upload route relative to the server's origin, with tRPC at its default /trpc. */
export const AVATAR_UPLOAD_PATH = `/trpc/${AVATAR_UPLOAD_PROCEDURE}`;

/**
 * The temporary path `<button open-type="chooseAvatar">` gives (wxfile://, http://tmp/...): it
 * exists only on the phone, so it is refused as an avatar URL with a hint to upload first.
 */
export function isTemporaryFilePath(url: string): boolean {
  return /^(wxfile:|http:\/\/tmp\/|https?:\/\/usr\/)/i.test(url.trim());
}

/**
 * user.deleteAccount's input must be `{ confirm: ACCOUNT_DELETION_CONFIRMATION }`: a deliberate
 * literal the mini-program sends only after the user confirmed its dialog, so no stray or replayed
 * call without it can erase an account.
 */
export const ACCOUNT_DELETION_CONFIRMATION = "DELETE";
