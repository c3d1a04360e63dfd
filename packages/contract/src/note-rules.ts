/**
 * The rules of the example feature, notes, in the one place both sides import: the api judges
 * notes.create / notes.update with them, the mini-program checks the same rules before sending and
 * sizes its inputs from the same limits. A feature of your own puts its rules beside these.
 */
import {
  INPUT_RULES,
  lineTextProblem,
  multilineTextProblem,
  type InputIssueCode,
  type SegmenterFactory,
} from "./input-rules.ts";

/** A title: 1-100 visible characters on one line (an emoji family counts as one). */
export const NOTE_TITLE_MAX_GRAPHEMES = 100;
/** A body: up to 2000 visible characters, line breaks allowed; may be empty. */
export const NOTE_BODY_MAX_GRAPHEMES = 2000;
/**
 * Hard caps in UTF-16 code units (what JavaScript's `length` counts), eight per visible character:
 * text of any script, and emoji up to a family of three (8 units), reaches the character limit
 * first, while a "character" of a thousand stacked combining marks cannot make a row grow without
 * bound (the body stays within MySQL's 64 KB TEXT even at 3 bytes a unit).
 */
export const NOTE_TITLE_MAX_CODE_UNITS = 8 * NOTE_TITLE_MAX_GRAPHEMES;
export const NOTE_BODY_MAX_CODE_UNITS = 8 * NOTE_BODY_MAX_GRAPHEMES;
/**
 * The most notes one user may keep. Storage per user stays bounded (about 25 MB at the very worst),
 * and the mini-program can say so before the server refuses with QUOTA_EXCEEDED.
 */
export const NOTES_MAX_PER_USER = 500;
/** notes.list pages: `limit` defaults to 20, at most 50. */
export const NOTES_PAGE_SIZE_DEFAULT = 20;
export const NOTES_PAGE_SIZE_MAX = 50;

export type NoteField = "title" | "body";

/** The first rule a title breaks (judged trimmed, as saved), or undefined when it is acceptable. */
export function noteTitleProblem(raw: string, createSegmenter?: SegmenterFactory): InputIssueCode | undefined {
  return lineTextProblem(
    raw,
    { maxGraphemes: NOTE_TITLE_MAX_GRAPHEMES, maxCodeUnits: NOTE_TITLE_MAX_CODE_UNITS },
    createSegmenter,
  );
}

/** The first rule a body breaks (judged trimmed, as saved), or undefined when it is acceptable. */
export function noteBodyProblem(raw: string, createSegmenter?: SegmenterFactory): InputIssueCode | undefined {
  return multilineTextProblem(
    raw,
    { maxGraphemes: NOTE_BODY_MAX_GRAPHEMES, maxCodeUnits: NOTE_BODY_MAX_CODE_UNITS },
    createSegmenter,
  );
}

/** The English sentence for a broken note rule (the mini-program words its own in Chinese). */
export function noteRuleMessage(field: NoteField, rule: InputIssueCode): string {
  if (rule === "too_long") {
    const max = field === "title" ? NOTE_TITLE_MAX_GRAPHEMES : NOTE_BODY_MAX_GRAPHEMES;
    return `${field} is too long: at most ${max} characters`;
  }
  if (field === "body" && rule === "control_characters") {
    return "body cannot contain control characters other than line breaks and tabs";
  }
  return `${field} ${INPUT_RULES[rule]}`;
}
