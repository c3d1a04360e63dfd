import { describe, expect, it } from "vitest";
import {
  NOTE_BODY_MAX_CODE_UNITS,
  NOTE_BODY_MAX_GRAPHEMES,
  NOTE_TITLE_MAX_CODE_UNITS,
  NOTE_TITLE_MAX_GRAPHEMES,
  noteBodyProblem,
  noteRuleMessage,
  noteTitleProblem,
} from "../src/index.ts";

describe("noteTitleProblem", () => {
  it("takes one line of visible text, judged trimmed", () => {
    expect(noteTitleProblem("  周末买菜 🥬  ")).toBeUndefined();
    expect(noteTitleProblem(" \t ")).toBe("too_small");
    expect(noteTitleProblem("\u3164\u2800")).toBe("invisible");
    expect(noteTitleProblem("第一行\n第二行")).toBe("control_characters");
    expect(noteTitleProblem("abc\u202Etxt.exe")).toBe("control_characters");
    expect(noteTitleProblem("a\uD83D")).toBe("broken_emoji");
  });

  it("counts visible characters, an emoji family as one, up to its code-unit cap", () => {
    expect(noteTitleProblem("字".repeat(NOTE_TITLE_MAX_GRAPHEMES))).toBeUndefined();
    expect(noteTitleProblem("字".repeat(NOTE_TITLE_MAX_GRAPHEMES + 1))).toBe("too_long");
    // 8 UTF-16 units each: exactly the cap.
    expect(noteTitleProblem("👨‍👩‍👧".repeat(NOTE_TITLE_MAX_GRAPHEMES))).toBeUndefined();
    // One visible character of stacked combining marks: bounded by units, not characters.
    expect(noteTitleProblem(`a${"\u0301".repeat(NOTE_TITLE_MAX_CODE_UNITS)}`)).toBe("too_long");
  });

  it("is stricter, never looser, on an engine without Intl.Segmenter", () => {
    const family = "👨‍👩‍👧".repeat(NOTE_TITLE_MAX_GRAPHEMES);
    expect(noteTitleProblem(family, () => undefined)).toBe("too_long");
    expect(noteTitleProblem("字".repeat(NOTE_TITLE_MAX_GRAPHEMES), () => undefined)).toBeUndefined();
  });
});

describe("noteBodyProblem", () => {
  it("may be empty and span lines; other control characters are refused", () => {
    expect(noteBodyProblem("")).toBeUndefined();
    expect(noteBodyProblem("鸡蛋\n牛奶\r\n\t面包")).toBeUndefined();
    expect(noteBodyProblem("bell\u0007")).toBe("control_characters");
    expect(noteBodyProblem("a\u2028b")).toBe("control_characters");
    expect(noteBodyProblem("\uDE00")).toBe("broken_emoji");
  });

  it("holds at most its characters and code units", () => {
    expect(noteBodyProblem("字".repeat(NOTE_BODY_MAX_GRAPHEMES))).toBeUndefined();
    expect(noteBodyProblem("字".repeat(NOTE_BODY_MAX_GRAPHEMES + 1))).toBe("too_long");
    expect(noteBodyProblem(`a${"\u0301".repeat(NOTE_BODY_MAX_CODE_UNITS)}`)).toBe("too_long");
  });
});

describe("noteRuleMessage", () => {
  it("names the field and its limit", () => {
    expect(noteRuleMessage("title", "too_long")).toBe(
      `title is too long: at most ${NOTE_TITLE_MAX_GRAPHEMES} characters`,
    );
    expect(noteRuleMessage("body", "too_long")).toBe(`body is too long: at most ${NOTE_BODY_MAX_GRAPHEMES} characters`);
    expect(noteRuleMessage("title", "too_small")).toBe("title cannot be empty");
    expect(noteRuleMessage("body", "control_characters")).toMatch(/other than line breaks and tabs/);
  });
});
