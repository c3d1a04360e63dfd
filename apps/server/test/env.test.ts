import { describe, expect, it } from "vitest";
import { ConfigError, parseServerEnv } from "../src/env.ts";

describe("server configuration", () => {
  it("has working defaults (mock WeChat, port 3000, 7-day sessions)", () => {
    const env = parseServerEnv({});
    expect(env).toMatchObject({
      PORT: 3000,
      WX_MOCK_PORT: 3001,
      SESSION_TTL_SECONDS: 604_800,
      WX_API_BASE: "https://api.weixin.qq.com",
    });
    expect(env.WX_APPID).toBeUndefined();
  });

  it("treats empty strings as unset", () => {
    expect(parseServerEnv({ WX_APPID: "", WX_SECRET: "" }).WX_APPID).toBeUndefined();
  });

  it("lists every bad variable without echoing secret values", () => {
    const secret = "s3cr3t-value-that-must-not-leak";
    let message = "";
    try {
      parseServerEnv({
        PORT: "http",
        WX_APPID: "wx1234567890abcdef",
        WX_SECRET: secret.slice(0, 5),
        SESSION_TTL_SECONDS: "5",
      });
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      message = (error as Error).message;
    }
    expect(message).toMatch(/PORT/);
    expect(message).toMatch(/WX_SECRET/);
    expect(message).toMatch(/SESSION_TTL_SECONDS/);
    expect(message).not.toContain(secret.slice(0, 5));
  });

  it("requires a real encryption key with a real WeChat app", () => {
    expect(() =>
      parseServerEnv({ WX_APPID: "wx1234567890abcdef", WX_SECRET: "0123456789abcdef0123456789abcdef" }),
    ).toThrow(/SESSION_KEY_ENCRYPTION_KEY: is required/);
  });

  it("requires WX_APPID and WX_SECRET together", () => {
    expect(() => parseServerEnv({ WX_APPID: "wx1234567890abcdef" })).toThrow(/WX_APPID and WX_SECRET together/);
  });
});
