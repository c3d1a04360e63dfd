import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  MOCK_DEFAULT_APPID,
  MOCK_DEFAULT_SECRET,
  clearFaults,
  getMockStats,
  injectFault,
  mintLoginCode,
  resetMock,
  startMockWechat,
} from "../src/mock/index.ts";
import type { MockWechat } from "../src/mock/index.ts";
import { CODE2SESSION_PATH, NEVER_MINTED_CODE, ZERO_STATS } from "./helpers.ts";

let mock: MockWechat;

beforeAll(async () => {
  mock = await startMockWechat({ port: 0 });
});
afterAll(() => mock.close());
beforeEach(() => resetMock(mock.url));

/** Calls jscode2session directly with exactly the given query parameters. */
async function jscode2session(params: Record<string, string>, init: RequestInit = {}) {
  const response = await fetch(`${mock.url}${CODE2SESSION_PATH}?${new URLSearchParams(params).toString()}`, init);
  return {
    status: response.status,
    contentType: response.headers.get("content-type"),
    body: JSON.parse(await response.text()) as Record<string, unknown>,
  };
}

function validParams(code: string): Record<string, string> {
  return { appid: MOCK_DEFAULT_APPID, secret: MOCK_DEFAULT_SECRET, js_code: code, grant_type: "authorization_code" };
}

async function postJson(path: string, body: string) {
  const response = await fetch(`${mock.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Record<string, unknown>,
  };
}

describe("startMockWechat", () => {
  it("listens on 127.0.0.1 with an OS-picked port and exposes its URL and credentials", () => {
    expect(mock.port).toBeGreaterThan(0);
    expect(mock.url).toBe(`http://127.0.0.1:${mock.port}`);
    expect([mock.appid, mock.secret]).toEqual([MOCK_DEFAULT_APPID, MOCK_DEFAULT_SECRET]);
  });

  it("closes promptly although a request hangs", async () => {
    const hanging = await startMockWechat({});
    await injectFault(hanging.url, { path: CODE2SESSION_PATH, hang: true });
    const pending = fetch(`${hanging.url}${CODE2SESSION_PATH}`).then(
      () => "answered",
      () => "cut",
    );
    // Let the request reach the server before closing.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const startedAt = performance.now();
    await hanging.close();
    expect(performance.now() - startedAt).toBeLessThan(2000);
    expect(await pending).toBe("cut");
    await hanging.close(); // idempotent
  });
});

describe("GET /sns/jscode2session", () => {
  it("answers success as text/plain JSON with HTTP 200", async () => {
    const { code, openid } = await mintLoginCode(mock.url);
    const answer = await jscode2session(validParams(code));
    expect([answer.status, answer.contentType]).toEqual([200, "text/plain"]);
    expect(answer.body.openid).toBe(openid);
    expect(answer.body).not.toHaveProperty("errcode");
  });

  it.each([
    { missing: "appid", errcode: 41002 },
    { missing: "secret", errcode: 41004 },
    { missing: "js_code", errcode: 41008 },
  ])("answers $errcode when $missing is missing", async ({ missing, errcode }) => {
    const params = validParams(NEVER_MINTED_CODE);
    delete params[missing];
    const answer = await jscode2session(params);
    expect([answer.status, answer.contentType, answer.body.errcode]).toEqual([200, "text/plain", errcode]);
    expect(typeof answer.body.errmsg).toBe("string");
  });

  it("checks appid, then secret, then code", async () => {
    expect((await jscode2session({ appid: "wxwrong", secret: "wrong" })).body.errcode).toBe(40013);
    expect((await jscode2session({ appid: MOCK_DEFAULT_APPID })).body.errcode).toBe(41004);
    expect((await jscode2session({ appid: MOCK_DEFAULT_APPID, secret: "wrong" })).body.errcode).toBe(40125);
    expect((await jscode2session({ appid: MOCK_DEFAULT_APPID, secret: MOCK_DEFAULT_SECRET })).body.errcode).toBe(41008);
  });

  it("uses WeChat's errmsg formats for 40029 and 40163", async () => {
    expect((await jscode2session(validParams(NEVER_MINTED_CODE))).body.errmsg).toMatch(
      /^invalid code, rid: [0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$/,
    );
    const { code } = await mintLoginCode(mock.url);
    await jscode2session(validParams(code));
    const reused = await jscode2session(validParams(code));
    expect(reused.body.errcode).toBe(40163);
    expect(reused.body.errmsg).toMatch(/^code been used, hints: \[ req_id: \S+ \]$/);
  });

  it("requires grant_type=authorization_code", async () => {
    const { code } = await mintLoginCode(mock.url);
    const { grant_type: _ignored, ...withoutGrantType } = validParams(code);
    expect((await jscode2session(withoutGrantType)).body.errcode).toBe(40002);
  });

  it("answers 43001 to POST, as WeChat does for a GET-only API", async () => {
    const answer = await jscode2session(validParams(NEVER_MINTED_CODE), { method: "POST" });
    expect(answer.body.errcode).toBe(43001);
  });

  it("has no CORS headers: browsers must never call it (the secret would be in the page)", async () => {
    const response = await fetch(`${mock.url}${CODE2SESSION_PATH}`);
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
    await response.text();
  });
});

describe("POST /mock/login", () => {
  it("mints a 32-char code and a random 28-char openid shaped like WeChat's", async () => {
    const { code, openid } = await mintLoginCode(mock.url);
    expect(code).toMatch(/^[0-9A-Za-z]{32}$/);
    expect(openid).toMatch(/^o[0-9A-Za-z_-]{27}$/);
    expect((await mintLoginCode(mock.url)).openid).not.toBe(openid);
  });

  it("keeps a given openid, and accepts an empty body", async () => {
    expect((await mintLoginCode(mock.url, { openid: "oGivenOpenid00000000000000001" })).openid).toBe(
      "oGivenOpenid00000000000000001",
    );
    const response = await fetch(`${mock.url}/mock/login`, { method: "POST" });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ code: expect.any(String), openid: expect.any(String) });
  });

  it("answers 400 with a clear message to malformed JSON", async () => {
    const answer = await postJson("/mock/login", '{"openid": ');
    expect(answer.status).toBe(400);
    expect(answer.headers.get("content-type")).toMatch(/^application\/json/);
    expect(answer.body.message).toMatch(/not valid JSON/);
  });

  it("answers 400 to unknown or mistyped fields", async () => {
    const typo = await postJson("/mock/login", '{"openId":"oX"}');
    expect(typo.status).toBe(400);
    expect(typo.body.message).toContain("openId");
    expect((await postJson("/mock/login", '{"openid":42}')).status).toBe(400);
  });

  it("answers a CORS preflight and puts CORS headers on the answer", async () => {
    const preflight = await fetch(`${mock.url}/mock/login`, {
      method: "OPTIONS",
      headers: {
        origin: "http://localhost:10086",
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type",
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("*");
    expect(preflight.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("content-type");
    expect(preflight.headers.get("access-control-allow-methods")).toContain("POST");

    const answer = await postJson("/mock/login", "{}");
    expect(answer.headers.get("access-control-allow-origin")).toBe("*");
  });

  it("answers 405 to GET", async () => {
    const response = await fetch(`${mock.url}/mock/login`);
    expect(response.status).toBe(405);
    expect(response.headers.get("access-control-allow-origin")).toBe("*");
  });
});

describe("POST /mock/phone, /mock/encrypted-data and /mock/clock validation", () => {
  it("answer 400 to mistyped fields, with CORS like every /mock/* route", async () => {
    for (const [path, body] of [
      ["/mock/phone", '{"phoneNumber":"+8613800138000"}'],
      ["/mock/phone", '{"countrycode":"86"}'],
      ["/mock/encrypted-data", '{"openid":"o1"}'],
      ["/mock/encrypted-data", '{"openid":"o1","data":[1]}'],
      ["/mock/clock", '{"advanceMs":"1000"}'],
      ["/mock/login", '{"rotateSessionKey":"no"}'],
    ] as const) {
      const answer = await postJson(path, body);
      expect(answer.status, `${path} ${body}`).toBe(400);
      expect(answer.headers.get("access-control-allow-origin")).toBe("*");
    }
  });

  it("counts phone and encrypted-data mints in stats, not clock moves", async () => {
    const { openid } = await mintLoginCode(mock.url);
    await postJson("/mock/phone", "{}");
    await postJson("/mock/encrypted-data", JSON.stringify({ openid, data: {} }));
    await postJson("/mock/clock", '{"advanceMs":1}');
    expect(await getMockStats(mock.url)).toEqual({
      ...ZERO_STATS,
      "/mock/login": 1,
      "/mock/phone": 1,
      "/mock/encrypted-data": 1,
    });
  });
});

describe("fault injection", () => {
  it("answers the next `count` calls with the fault, then behaves normally", async () => {
    await injectFault(mock.url, { path: CODE2SESSION_PATH, errcode: -1, count: 2 });
    const { code, openid } = await mintLoginCode(mock.url);
    const first = await jscode2session(validParams(code));
    expect([first.status, first.contentType, first.body.errcode]).toEqual([200, "text/plain", -1]);
    expect((await jscode2session(validParams(code))).body.errcode).toBe(-1);
    expect((await jscode2session(validParams(code))).body.openid).toBe(openid);
  });

  it("applies queued faults in order, with a custom errmsg sent verbatim", async () => {
    await injectFault(mock.url, { path: CODE2SESSION_PATH, errcode: 45011 });
    await injectFault(mock.url, { path: CODE2SESSION_PATH, errcode: 40226, errmsg: "blocked for the test" });
    expect((await jscode2session(validParams(NEVER_MINTED_CODE))).body.errcode).toBe(45011);
    expect((await jscode2session(validParams(NEVER_MINTED_CODE))).body).toEqual({
      errcode: 40226,
      errmsg: "blocked for the test",
    });
    expect((await jscode2session(validParams(NEVER_MINTED_CODE))).body.errcode).toBe(40029);
  });

  it("DELETE /mock/faults clears pending faults", async () => {
    await injectFault(mock.url, { path: CODE2SESSION_PATH, errcode: -1, count: 5 });
    const listed = await fetch(`${mock.url}/mock/faults`);
    expect(((await listed.json()) as { pending: unknown[] }).pending).toEqual([
      { path: CODE2SESSION_PATH, errcode: -1, remaining: 5 },
    ]);
    await clearFaults(mock.url);
    expect((await jscode2session(validParams(NEVER_MINTED_CODE))).body.errcode).toBe(40029);
  });

  it("answers a 502 HTML page, or cuts the connection, when asked", async () => {
    await injectFault(mock.url, { path: CODE2SESSION_PATH, badGateway: true });
    await injectFault(mock.url, { path: CODE2SESSION_PATH, reset: true });
    const gateway = await fetch(`${mock.url}${CODE2SESSION_PATH}`);
    expect([gateway.status, gateway.headers.get("content-type")]).toEqual([502, "text/html"]);
    expect(await gateway.text()).toMatch(/<h1>502 Bad Gateway<\/h1>/);
    await expect(fetch(`${mock.url}${CODE2SESSION_PATH}`)).rejects.toThrow(/fetch failed/);
    expect((await jscode2session(validParams(NEVER_MINTED_CODE))).body.errcode).toBe(40029);
  });

  it("applies to the new WeChat routes too", async () => {
    await injectFault(mock.url, { path: "/cgi-bin/stable_token", errcode: -1 });
    const response = await fetch(`${mock.url}/cgi-bin/stable_token`, { method: "POST", body: "{}" });
    expect(JSON.parse(await response.text())).toMatchObject({ errcode: -1 });
  });

  it("rejects faults that could never fire or are ambiguous", async () => {
    await expect(injectFault(mock.url, { path: "/sns/jscode2sesion", errcode: -1 })).rejects.toThrow(
      /No WeChat route at \/sns\/jscode2sesion/,
    );
    await expect(injectFault(mock.url, { path: CODE2SESSION_PATH })).rejects.toThrow(/exactly one of/);
    await expect(injectFault(mock.url, { path: CODE2SESSION_PATH, errcode: -1, hang: true })).rejects.toThrow(
      /exactly one of/,
    );
    await expect(injectFault(mock.url, { path: CODE2SESSION_PATH, reset: true, badGateway: true })).rejects.toThrow(
      /exactly one of/,
    );
    await expect(injectFault(mock.url, { path: CODE2SESSION_PATH, errcode: -1, count: 0 })).rejects.toThrow(/count/);
    // Nothing was queued by the rejected calls.
    expect((await jscode2session(validParams(NEVER_MINTED_CODE))).body.errcode).toBe(40029);
  });
});

describe("stats and reset", () => {
  it("counts WeChat calls (faulted ones included) and logins, not control calls", async () => {
    expect(await getMockStats(mock.url)).toEqual(ZERO_STATS);
    const { code } = await mintLoginCode(mock.url);
    await mintLoginCode(mock.url);
    await injectFault(mock.url, { path: CODE2SESSION_PATH, errcode: -1 });
    await jscode2session(validParams(code));
    await jscode2session(validParams(code));
    await jscode2session({});
    await getMockStats(mock.url);
    expect(await getMockStats(mock.url)).toEqual({ ...ZERO_STATS, [CODE2SESSION_PATH]: 3, "/mock/login": 2 });
  });

  it("reset forgets counts, faults and codes", async () => {
    const { code } = await mintLoginCode(mock.url);
    await injectFault(mock.url, { path: CODE2SESSION_PATH, errcode: -1 });
    await resetMock(mock.url);
    expect(await getMockStats(mock.url)).toEqual(ZERO_STATS);
    // No fault any more, and the code is gone: 40029 rather than -1 or success.
    expect((await jscode2session(validParams(code))).body.errcode).toBe(40029);
  });
});

describe("unknown routes", () => {
  it("answers 404 JSON outside and inside /mock", async () => {
    const outside = await fetch(`${mock.url}/cgi-bin/nope`);
    expect(outside.status).toBe(404);
    expect(((await outside.json()) as { error: string }).error).toBe("not_found");

    const inside = await fetch(`${mock.url}/mock/nope`);
    expect(inside.status).toBe(404);
    expect(inside.headers.get("access-control-allow-origin")).toBe("*");
    expect(((await inside.json()) as { message: string }).message).toContain("/mock/login");
  });
});
