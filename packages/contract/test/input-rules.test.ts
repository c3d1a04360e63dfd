import { describe, expect, it } from "vitest";
import { countGraphemes, isTemporaryFilePath, nicknameProblem, nicknameRuleMessage } from "../src/index.ts";

describe("nicknameProblem", () => {
  it("accepts names people use: CJK, emoji sequences, flags, inner spaces", () => {
    for (const name of ["小明", "Tom", "🐼熊猫", "👨‍👩‍👧 一家", "🇨🇳", "🏴󠁧󠁢󠁳󠁣󠁴󠁿 Scot", "👍🏽", "李　白", "❤️‍🔥", "e\u0301clair"]) {
      expect([name, nicknameProblem(name)]).toEqual([name, undefined]);
    }
  });

  it("judges the trimmed value: blank is too_small", () => {
    expect(nicknameProblem("")).toBe("too_small");
    expect(nicknameProblem("   \u3000 ")).toBe("too_small");
    expect(nicknameProblem("  小明  ")).toBeUndefined();
  });

  it("refuses control characters, line breaks, bidi overrides and zero-width format characters", () => {
    for (const name of [
      "a\nb",
      "a\u0007b",
      "a\u2028b",
      "evil\u202Etxt.exe",
      "a\u2066b",
      "a\u200Bb",
      "a\u2060b",
      "\u200Ea",
    ]) {
      expect([JSON.stringify(name), nicknameProblem(name)]).toEqual([JSON.stringify(name), "control_characters"]);
    }
  });

  it("refuses a joiner or tag outside an emoji sequence", () => {
    expect(nicknameProblem("a\u200Db")).toBe("control_characters");
    expect(nicknameProblem("\u200D")).toBe("control_characters");
    expect(nicknameProblem("a\u{E0067}")).toBe("control_characters");
  });

  it("refuses names made only of invisible characters", () => {
    for (const name of ["\u3164", "\u3164\u3164", "\u2800", "\uFFA0", "\u115F\u1160", "\u0301"]) {
      expect([JSON.stringify(name), nicknameProblem(name)]).toEqual([JSON.stringify(name), "invisible"]);
    }
  });

  it("counts visible characters: 20 pass, 21 are too_long; an emoji family is one", () => {
    expect(nicknameProblem("字".repeat(20))).toBeUndefined();
    expect(nicknameProblem("字".repeat(21))).toBe("too_long");
    expect(nicknameProblem("👨‍👩‍👧".repeat(20))).toBeUndefined();
    expect(nicknameProblem("👨‍👩‍👧".repeat(21))).toBe("too_long");
  });

  it("refuses a lone surrogate as a broken emoji", () => {
    expect(nicknameProblem("a\uD83D")).toBe("broken_emoji");
  });

  it("has a message for every rule", () => {
    expect(nicknameRuleMessage("too_long")).toBe("nickname is too long: at most 20 characters");
    expect(nicknameRuleMessage("invisible")).toBe("nickname must contain visible characters");
  });
});

describe("countGraphemes", () => {
  it("counts clusters, or code points where the engine has no Intl.Segmenter (stricter, never looser)", () => {
    expect(countGraphemes("👨‍👩‍👧🇨🇳a")).toBe(3);
    expect(countGraphemes("👨‍👩‍👧🇨🇳a", () => undefined)).toBe(8);
  });
});

describe("isTemporaryFilePath", () => {
  it("recognises chooseAvatar's temporary paths", () => {
    expect(isTemporaryFilePath("wxfile://tmp_abc.jpg")).toBe(true);
    expect(isTemporaryFilePath("http://tmp/abc.jpg")).toBe(true);
    expect(isTemporaryFilePath("https://usr/abc.jpg")).toBe(true);
    expect(isTemporaryFilePath("https://cdn.example.com/a.png")).toBe(false);
  });
});
