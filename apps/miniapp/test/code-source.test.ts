import { describe, expect, it, vi } from "vitest";
import { MissingCodeSourceError, selectCodeSource } from "../src/auth/code-source";

const wechatLogin = async () => "wechat-code";

describe("selectCodeSource", () => {
  it("uses wx.login on weapp when no mock is configured", () => {
    const choice = selectCodeSource({ platform: "weapp", mockWechatUrl: "", wechatLogin, createMockSource: undefined });
    expect(choice.kind).toBe("wechat");
    expect(choice.source).toBe(wechatLogin);
  });

  it("uses the mock whenever it is configured, on weapp too", () => {
    const mockSource = async () => "mock-code";
    const createMockSource = vi.fn(() => mockSource);
    for (const platform of ["weapp", "h5"]) {
      const choice = selectCodeSource({
        platform,
        mockWechatUrl: " http://127.0.0.1:3001 ",
        wechatLogin,
        createMockSource,
      });
      expect(choice).toEqual({ kind: "mock-wechat", source: mockSource, mockWechatUrl: "http://127.0.0.1:3001" });
    }
    expect(createMockSource).toHaveBeenCalledWith("http://127.0.0.1:3001");
  });

  it("refuses H5 without a mock instead of logging in with an empty code", () => {
    for (const mockWechatUrl of [undefined, "", "   "]) {
      expect(() =>
        selectCodeSource({ platform: "h5", mockWechatUrl, wechatLogin, createMockSource: undefined }),
      ).toThrow(MissingCodeSourceError);
    }
    expect(() =>
      selectCodeSource({ platform: "h5", mockWechatUrl: undefined, wechatLogin, createMockSource: undefined }),
    ).toThrow(/TARO_APP_WX_MOCK_URL/);
  });

  it("fails clearly when the mock is configured but was not built in", () => {
    expect(() =>
      selectCodeSource({
        platform: "h5",
        mockWechatUrl: "http://127.0.0.1:3001",
        wechatLogin,
        createMockSource: undefined,
      }),
    ).toThrow(/not built in/);
  });
});
