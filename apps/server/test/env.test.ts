import { describe, expect, it } from "vitest";
import {
  ConfigError,
  parseServerEnv,
  realWechatApps,
  uploadOriginFromRequest,
  usesMockWechat,
  usesRealWechat,
} from "../src/env.ts";

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

  describe("production fails closed", () => {
    const key = Buffer.alloc(32, 9).toString("base64");

    it("refuses to start without WeChat credentials unless WX_MOCK=1 asks for the mock", () => {
      const refusal = () => parseServerEnv({ NODE_ENV: "production", SESSION_KEY_ENCRYPTION_KEY: key });
      expect(refusal).toThrow(ConfigError);
      expect(refusal).toThrow(/WX_APPID: WX_APPID and WX_SECRET are required in production.*WX_MOCK=1/);
      const demo = parseServerEnv({ NODE_ENV: "production", WX_MOCK: "1", SESSION_KEY_ENCRYPTION_KEY: key });
      expect(usesMockWechat(demo)).toBe(true);
    });

    it("requires the encryption key in production, even on the mock", () => {
      expect(() => parseServerEnv({ NODE_ENV: "production", WX_MOCK: "1" })).toThrow(
        /SESSION_KEY_ENCRYPTION_KEY: is required in production/,
      );
    });

    it("refuses WX_MOCK together with a real app", () => {
      expect(() =>
        parseServerEnv({
          WX_MOCK: "1",
          WX_APPID: "wx1234567890abcdef",
          WX_SECRET: "0123456789abcdef0123456789abcdef",
          SESSION_KEY_ENCRYPTION_KEY: key,
        }),
      ).toThrow(/WX_MOCK: is set together with WX_APPID/);
    });

    it("ties the mock's permissive defaults to the switch, never to WX_APPID merely missing", () => {
      // Development and tests: the mock when WX_APPID is unset, unless WX_MOCK=0 turns it off.
      expect(usesMockWechat(parseServerEnv({}))).toBe(true);
      expect(usesMockWechat(parseServerEnv({ NODE_ENV: "test" }))).toBe(true);
      expect(() => parseServerEnv({ WX_MOCK: "0" })).toThrow(
        /WX_APPID: WX_APPID and WX_SECRET are required when WX_MOCK=0/,
      );
      expect(
        usesMockWechat(
          parseServerEnv({
            NODE_ENV: "production",
            WX_APPID: "wx1234567890abcdef",
            WX_SECRET: "0123456789abcdef0123456789abcdef",
            SESSION_KEY_ENCRYPTION_KEY: key,
            PUBLIC_URL: "https://api.example.com",
          }),
        ),
      ).toBe(false);
    });
  });

  it("requires WX_APPID and WX_SECRET together", () => {
    expect(() => parseServerEnv({ WX_APPID: "wx1234567890abcdef" })).toThrow(/WX_APPID and WX_SECRET together/);
  });

  describe("several mini-programs (WX_APPS, WX_MOCK_APPIDS)", () => {
    const secretA = "0123456789abcdef0123456789abcdef";
    const secretB = "fedcba9876543210fedcba9876543210";
    const key = { SESSION_KEY_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString("base64") };

    it("reads appid:secret pairs, and one app stays WX_APPID + WX_SECRET", () => {
      const env = parseServerEnv({ ...key, WX_APPS: ` wxaaaaaaaaaaaaaaaa:${secretA} , wxbbbbbbbbbbbbbbbb:${secretB}` });
      expect(realWechatApps(env)).toEqual([
        { appid: "wxaaaaaaaaaaaaaaaa", secret: secretA },
        { appid: "wxbbbbbbbbbbbbbbbb", secret: secretB },
      ]);
      expect(usesRealWechat(env)).toBe(true);
      expect(usesMockWechat(env)).toBe(false);
      const one = parseServerEnv({ ...key, WX_APPID: "wx1234567890abcdef", WX_SECRET: secretA });
      expect(realWechatApps(one)).toEqual([{ appid: "wx1234567890abcdef", secret: secretA }]);
      expect(realWechatApps(parseServerEnv({}))).toEqual([]);
    });

    it("refuses malformed entries, naming them but never echoing a secret", () => {
      for (const [value, problem] of [
        [`wxaaaaaaaaaaaaaaaa${secretA}`, /entry 1 of 1 must be appid:secret/],
        [`notanappid:${secretA}`, /entry 1 of 1: the appid must look like/],
        [`wxaaaaaaaaaaaaaaaa:${secretA},wxbbbbbbbbbbbbbbbb:short`, /entry 2 of 2 \(wxbbbbbbbbbbbbbbbb\): the secret/],
        [`wxaaaaaaaaaaaaaaaa:${secretA},wxaaaaaaaaaaaaaaaa:${secretB}`, /wxaaaaaaaaaaaaaaaa is listed twice/],
        [",", /WX_APPS: entry 1 of 2/],
      ] as const) {
        let message = "";
        try {
          parseServerEnv({ ...key, WX_APPS: value });
        } catch (error) {
          message = (error as Error).message;
        }
        expect(message).toMatch(problem);
        expect(message).not.toContain(secretA);
        expect(message).not.toContain(secretB);
      }
    });

    it("fails closed on mixed or misplaced settings", () => {
      expect(() =>
        parseServerEnv({
          ...key,
          WX_APPS: `wxaaaaaaaaaaaaaaaa:${secretA}`,
          WX_APPID: "wx1234567890abcdef",
          WX_SECRET: secretB,
        }),
      ).toThrow(/WX_APPS: is set together with WX_APPID/);
      expect(() => parseServerEnv({ ...key, WX_APPS: `wxaaaaaaaaaaaaaaaa:${secretA}`, WX_MOCK: "1" })).toThrow(
        /WX_MOCK: is set together with WX_APPS/,
      );
      expect(() =>
        parseServerEnv({ ...key, WX_APPS: `wxaaaaaaaaaaaaaaaa:${secretA}`, WX_MOCK_APPIDS: "wxmock000000000002" }),
      ).toThrow(/WX_MOCK_APPIDS: only applies to the mock WeChat/);
      // Production with real apps: the key and PUBLIC_URL are required as with WX_APPID.
      expect(() => parseServerEnv({ NODE_ENV: "production", WX_APPS: `wxaaaaaaaaaaaaaaaa:${secretA}` })).toThrow(
        /SESSION_KEY_ENCRYPTION_KEY[\s\S]*PUBLIC_URL: is required/,
      );
    });

    it("names the mock's apps, checked like appids", () => {
      expect(parseServerEnv({ WX_MOCK_APPIDS: "wxmock000000000001, wxmock000000000002" }).WX_MOCK_APPIDS).toEqual([
        "wxmock000000000001",
        "wxmock000000000002",
      ]);
      expect(() => parseServerEnv({ WX_MOCK_APPIDS: "wxmock000000000001,nope" })).toThrow(
        /WX_MOCK_APPIDS: nope: must look/,
      );
      expect(() => parseServerEnv({ WX_MOCK_APPIDS: "wxmock000000000001,wxmock000000000001" })).toThrow(/twice/);
    });
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
      const demo = {
        NODE_ENV: "production",
        WX_MOCK: "1",
        SESSION_KEY_ENCRYPTION_KEY: realApp.SESSION_KEY_ENCRYPTION_KEY,
      };
      expect(parseServerEnv({ ...realApp }).PUBLIC_URL).toBeUndefined();
      expect(parseServerEnv(demo).PUBLIC_URL).toBeUndefined();
      expect(uploadOriginFromRequest(parseServerEnv(demo))).toBe("warn");
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
