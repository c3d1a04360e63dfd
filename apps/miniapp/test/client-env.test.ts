import { describe, expect, it } from "vitest";
import { DEFAULT_API_URL, resolveClientEnv } from "../config/client-env";

describe("resolveClientEnv", () => {
  it("defaults to the local server and no mock", () => {
    expect(resolveClientEnv({})).toEqual({
      TARO_APP_API_URL: DEFAULT_API_URL,
      TARO_APP_WX_MOCK_URL: "",
      TARO_APP_ID: "",
    });
    expect(resolveClientEnv({ TARO_APP_API_URL: "  ", TARO_APP_WX_MOCK_URL: " " }).TARO_APP_WX_MOCK_URL).toBe("");
  });

  it("trims and drops trailing slashes", () => {
    expect(
      resolveClientEnv({
        TARO_APP_API_URL: "https://api.example.com/trpc/",
        TARO_APP_WX_MOCK_URL: "http://127.0.0.1:3001/",
      }),
    ).toEqual({
      TARO_APP_API_URL: "https://api.example.com/trpc",
      TARO_APP_WX_MOCK_URL: "http://127.0.0.1:3001",
      TARO_APP_ID: "",
    });
  });

  it("rejects values that are not http(s) URLs", () => {
    expect(() => resolveClientEnv({ TARO_APP_API_URL: "127.0.0.1:3000" })).toThrow(/TARO_APP_API_URL/);
    expect(() => resolveClientEnv({ TARO_APP_WX_MOCK_URL: "yes" })).toThrow(/TARO_APP_WX_MOCK_URL/);
  });

  it("takes the appid the link sends (X-WX-Appid); DevTools' touristappid and unset send none", () => {
    expect(resolveClientEnv({ TARO_APP_ID: " wx0123456789abcdef " }).TARO_APP_ID).toBe("wx0123456789abcdef");
    expect(resolveClientEnv({ TARO_APP_ID: "touristappid" }).TARO_APP_ID).toBe("");
    expect(() => resolveClientEnv({ TARO_APP_ID: "my-app" })).toThrow(/TARO_APP_ID must be a mini-program appid/);
  });
});
