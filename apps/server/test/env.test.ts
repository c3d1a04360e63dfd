import { describe, expect, it } from "vitest";
import { ConfigError, parseServerEnv, uploadOriginFromRequest } from "../src/env.ts";

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

  describe("PUBLIC_URL", () => {
    const realApp = {
      WX_APPID: "wx1234567890abcdef",
      WX_SECRET: "0123456789abcdef0123456789abcdef",
      SESSION_KEY_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString("base64"),
    };

    it("is required in production with a real WeChat app: upload URLs must not come from the Host header", () => {
      expect(() => parseServerEnv({ ...realApp, NODE_ENV: "production" })).toThrow(ConfigError);
      expect(() => parseServerEnv({ ...realApp, NODE_ENV: "production" })).toThrow(/PUBLIC_URL: is required/);
      expect(
        parseServerEnv({ ...realApp, NODE_ENV: "production", PUBLIC_URL: "https://api.example.com" }),
      ).toMatchObject({ PUBLIC_URL: "https://api.example.com" });
    });

    it("is optional in development, and with the mock WeChat in production (a demo)", () => {
      expect(parseServerEnv({ ...realApp }).PUBLIC_URL).toBeUndefined();
      expect(parseServerEnv({ NODE_ENV: "production" }).PUBLIC_URL).toBeUndefined();
      expect(uploadOriginFromRequest(parseServerEnv({ NODE_ENV: "production" }))).toBe("warn");
      expect(uploadOriginFromRequest(parseServerEnv({}))).toBe("allow");
    });
  });

  it("reads the abuse limits, with defaults", () => {
    expect(parseServerEnv({})).toMatchObject({
      MAX_BATCH_SIZE: 10,
      UPLOAD_RATE_LIMIT_PER_USER: 20,
      AVATAR_UNREFERENCED_RETENTION_HOURS: 24,
    });
    expect(() => parseServerEnv({ MAX_BATCH_SIZE: "0" })).toThrow(/MAX_BATCH_SIZE/);
    expect(() => parseServerEnv({ UPLOAD_RATE_LIMIT_PER_USER: "many" })).toThrow(/UPLOAD_RATE_LIMIT_PER_USER/);
  });
});
