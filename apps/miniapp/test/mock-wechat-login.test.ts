import { describe, expect, it } from "vitest";
import { LoginCodeError } from "../src/auth/code-source";
import {
  createMockWechatLogin,
  MOCK_OPENID_STORAGE_KEY,
  parseMintedCode,
  type MockLoginDeps,
} from "../src/auth/mock-wechat-login";

function fakeDeps(answer: (body: unknown) => { statusCode: number; data: unknown }) {
  const storage = new Map<string, string>();
  const requests: { url: string; body: unknown }[] = [];
  const deps: MockLoginDeps = {
    async request(options) {
      const body: unknown = JSON.parse(options.data);
      requests.push({ url: options.url, body });
      return answer(body);
    },
    getStorageSync: (key) => storage.get(key) ?? "",
    setStorageSync: (key, value) => void storage.set(key, value),
  };
  return { deps, storage, requests };
}

describe("createMockWechatLogin", () => {
  it("mints a code, remembers the openid and asks for the same openid next time", async () => {
    let minted = 0;
    const { deps, storage, requests } = fakeDeps((body) => {
      minted++;
      const openid = (body as { openid?: string }).openid ?? "o-new";
      return { statusCode: 200, data: JSON.stringify({ code: `code-${minted}`, openid }) };
    });
    const source = createMockWechatLogin("http://127.0.0.1:3001/", deps);

    await expect(source()).resolves.toBe("code-1");
    expect(storage.get(MOCK_OPENID_STORAGE_KEY)).toBe("o-new");
    await expect(source()).resolves.toBe("code-2");

    expect(requests).toEqual([
      { url: "http://127.0.0.1:3001/mock/login", body: {} },
      { url: "http://127.0.0.1:3001/mock/login", body: { openid: "o-new" } },
    ]);
  });

  it("mints in the build's app when given its appid (a mock serving several apps)", async () => {
    const { deps, requests } = fakeDeps(() => ({
      statusCode: 200,
      data: JSON.stringify({ code: "c", openid: "o-b" }),
    }));
    const source = createMockWechatLogin("http://mock", deps, "wxmock0000000000b2");
    await source();
    await source();
    expect(requests.map((request) => request.body)).toEqual([
      { appid: "wxmock0000000000b2" },
      { appid: "wxmock0000000000b2", openid: "o-b" },
    ]);
  });

  it("reports HTTP errors and non-JSON answers clearly", async () => {
    const failing = createMockWechatLogin("http://mock", fakeDeps(() => ({ statusCode: 502, data: "<html>" })).deps);
    await expect(failing()).rejects.toThrow(/HTTP 502/);
    await expect(failing()).rejects.toBeInstanceOf(LoginCodeError);
    const html = createMockWechatLogin("http://mock", fakeDeps(() => ({ statusCode: 200, data: "<html>" })).deps);
    await expect(html()).rejects.toThrow(/did not answer JSON/);
  });

  it("reports an unreachable mock as a failed login code, not as a server error", async () => {
    const { deps } = fakeDeps(() => ({ statusCode: 200, data: "{}" }));
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- Taro.request fails with a plain { errMsg }
    deps.request = async () => Promise.reject({ errMsg: "request:fail connect ECONNREFUSED" });
    const source = createMockWechatLogin("http://mock", deps);
    await expect(source()).rejects.toBeInstanceOf(LoginCodeError);
    await expect(source()).rejects.toThrow(/could not be reached \(request:fail connect ECONNREFUSED\)/);
  });
});

describe("parseMintedCode", () => {
  it("accepts parsed objects and rejects answers without code or openid", () => {
    expect(parseMintedCode(200, { code: "c", openid: "o" }, "x")).toEqual({ code: "c", openid: "o" });
    expect(() => parseMintedCode(200, { code: "", openid: "o" }, "x")).toThrow(LoginCodeError);
    expect(() => parseMintedCode(200, { code: "", openid: "o" }, "x")).toThrow(/without code\/openid/);
    expect(() => parseMintedCode(200, '{"code":"c"}', "x")).toThrow(/without code\/openid/);
    expect(() => parseMintedCode(200, null, "x")).toThrow(/without code\/openid/);
  });
});
