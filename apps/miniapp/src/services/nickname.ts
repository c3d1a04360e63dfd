/**
 * The client-side nickname hint. The server (packages/api, `nicknameSchema`) is the judge; this
 * only counts the way it does so the "n/20" hint agrees with what it will say.
 */

/** The server's limit: 20 visible characters after trimming. */
export const NICKNAME_MAX_CHARACTERS = 20;

interface SegmenterLike {
  segment(text: string): Iterable<unknown>;
}
type SegmenterFactory = () => SegmenterLike | undefined;

/**
 * Visible characters ("grapheme clusters"), as the server counts them: 👨‍👩‍👧 and 🇨🇳 are one each.
 * Engines without Intl.Segmenter (older WeChat clients) fall back to code points, which counts
 * composed emoji as several characters: the hint is then stricter than the server, never looser.
 */
export function countVisibleCharacters(text: string, createSegmenter: SegmenterFactory = defaultSegmenter): number {
  const segmenter = createSegmenter();
  if (!segmenter) return Array.from(text).length;
  let count = 0;
  for (const _segment of segmenter.segment(text)) count++;
  return count;
}

function defaultSegmenter(): SegmenterLike | undefined {
  // Some mini-program engines have no Intl at all: referencing it bare would throw.
  if (typeof Intl === "undefined") return undefined;
  const intl = Intl as unknown as {
    Segmenter?: new (locale: string, options: { granularity: "grapheme" }) => SegmenterLike;
  };
  return typeof intl.Segmenter === "function" ? new intl.Segmenter("zh-CN", { granularity: "grapheme" }) : undefined;
}

export interface NicknameHint {
  /** "5/20" */
  text: string;
  overLimit: boolean;
}

export function nicknameHint(draft: string): NicknameHint {
  const count = countVisibleCharacters(draft.trim());
  return { text: `${count}/${NICKNAME_MAX_CHARACTERS}`, overLimit: count > NICKNAME_MAX_CHARACTERS };
}
