import { describe, expect, it } from "vitest";
import { nicknameHint, nicknameRefusal } from "../src/services/nickname";

describe("nickname hint", () => {
  it("counts visible characters like the server: an emoji is one", () => {
    expect(nicknameHint("测试用户🐼")).toEqual({ count: "5/20", overLimit: false, problem: undefined });
    expect(nicknameHint("👨‍👩‍👧🇨🇳").count).toBe("2/20");
    expect(nicknameHint("").count).toBe("0/20");
  });

  it("flags more than 20 characters after trimming, with the rule's sentence", () => {
    expect(nicknameHint("  小明  ")).toEqual({ count: "2/20", overLimit: false, problem: undefined });
    expect(nicknameHint("一二三四五六七八九十一二三四五六七八九🐼")).toMatchObject({
      count: "20/20",
      overLimit: false,
    });
    expect(nicknameHint("一二三四五六七八九十一二三四五六七八九十🐼")).toEqual({
      count: "21/20",
      overLimit: true,
      problem: "昵称最多 20 个字",
    });
  });

  it("shows a broken rule while typing, but not an empty draft", () => {
    expect(nicknameHint("小\u200b明").problem).toBe("昵称不能包含换行、方向控制符或零宽字符");
    expect(nicknameHint("").problem).toBeUndefined();
  });
});

describe("nicknameRefusal (the pre-check before sending)", () => {
  it("lets acceptable nicknames through", () => {
    for (const nickname of [
      "小明",
      " 测试用户🐼 ",
      "👨‍👩‍👧",
      "\u{1F3F4}\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F} Scot",
    ])
      expect(nicknameRefusal(nickname), nickname).toBeUndefined();
  });

  it("refuses what the contract's rule refuses, in Chinese, shaped like the server's refusal", () => {
    const cases: [string, string][] = [
      ["   ", "昵称不能为空"],
      ["一二三四五六七八九十一二三四五六七八九十🐼", "昵称最多 20 个字"],
      ["第一行\n第二行", "昵称不能包含换行、方向控制符或零宽字符"],
      ["\u202Eevil", "昵称不能包含换行、方向控制符或零宽字符"],
      ["小\u200b明", "昵称不能包含换行、方向控制符或零宽字符"],
      ["\u3164\u3164", "昵称需要包含看得见的文字"],
      ["bad\ud83d", "昵称中有无法识别的字符，请修改"],
    ];
    for (const [nickname, message] of cases) {
      expect(nicknameRefusal(nickname), JSON.stringify(nickname)).toEqual({
        operation: "nickname",
        action: "show",
        retryable: true,
        reason: "INVALID_INPUT",
        message,
        serverMessage: undefined,
      });
    }
  });
});
