import { describe, expect, it } from "vitest";
import { MOCK_OPENID_STORAGE_KEY } from "../src/auth/mock-wechat-login";
import { createMockPhoneCodeSource, parseMintedPhoneCode } from "../src/auth/mock-wechat-phone";

describe("createMockPhoneCodeSource", () => {
  it("mints a phone code for the openid the mock login remembered", async () => {
    const requests: { url: string; body: unknown }[] = [];
    const storage = new Map<string, string>([[MOCK_OPENID_STORAGE_KEY, "o-remembered"]]);
    const source = createMockPhoneCodeSource("http://127.0.0.1:3001/", {
      async request(options) {
        requests.push({ url: options.url, body: JSON.parse(options.data) });
        return { statusCode: 200, data: JSON.stringify({ code: "phone-code-1", phoneNumber: "13800138000" }) };
      },
      getStorageSync: (key) => storage.get(key) ?? "",
    });
    await expect(source()).resolves.toBe("phone-code-1");
    storage.clear();
    await source();
    expect(requests).toEqual([
      { url: "http://127.0.0.1:3001/mock/phone", body: { openid: "o-remembered" } },
      { url: "http://127.0.0.1:3001/mock/phone", body: {} },
    ]);
  });

  it("mints in the build's app when given its appid", async () => {
    const bodies: unknown[] = [];
    const source = createMockPhoneCodeSource(
      "http://mock",
      {
        async request(options) {
          bodies.push(JSON.parse(options.data));
          return { statusCode: 200, data: JSON.stringify({ code: "c" }) };
        },
        getStorageSync: () => "o-b",
      },
      "wxmock0000000000b2",
    );
    await source();
    expect(bodies).toEqual([{ appid: "wxmock0000000000b2", openid: "o-b" }]);
  });

  it("reports HTTP errors and answers without a code clearly", () => {
    expect(() => parseMintedPhoneCode(500, "", "x")).toThrow(/HTTP 500/);
    expect(() => parseMintedPhoneCode(200, "<html>", "x")).toThrow(/did not answer JSON/);
    expect(() => parseMintedPhoneCode(200, { phoneNumber: "1" }, "x")).toThrow(/without a code/);
    expect(parseMintedPhoneCode(200, { code: "c" }, "x")).toBe("c");
  });
});
