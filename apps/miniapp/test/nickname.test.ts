import { describe, expect, it } from "vitest";
import { countVisibleCharacters, nicknameHint, NICKNAME_MAX_CHARACTERS } from "../src/services/nickname";

describe("nickname hint", () => {
  it("counts visible characters like the server: an emoji is one", () => {
    expect(countVisibleCharacters("测试用户🐼")).toBe(5);
    expect(countVisibleCharacters("👨‍👩‍👧🇨🇳")).toBe(2);
    expect(countVisibleCharacters("")).toBe(0);
  });

  it("falls back to code points without Intl.Segmenter (stricter, never looser)", () => {
    expect(countVisibleCharacters("测试🐼", () => undefined)).toBe(3);
    expect(countVisibleCharacters("👨‍👩‍👧", () => undefined)).toBe(5);
  });

  it("flags more than 20 characters after trimming", () => {
    expect(NICKNAME_MAX_CHARACTERS).toBe(20);
    expect(nicknameHint("  小明  ")).toEqual({ text: "2/20", overLimit: false });
    expect(nicknameHint("一二三四五六七八九十一二三四五六七八九🐼")).toEqual({ text: "20/20", overLimit: false });
    expect(nicknameHint("一二三四五六七八九十一二三四五六七八九十🐼")).toEqual({ text: "21/20", overLimit: true });
  });
});
