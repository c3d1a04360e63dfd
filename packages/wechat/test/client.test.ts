import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { WECHAT_API_ERRCODES, WECHAT_ERRCODES, createWechatClient, describeWechatErrcode } from "../src/index.ts";
import type { WechatClient, WechatErrorKind } from "../src/index.ts";
import { injectFault, mintLoginCode, resetMock, startMockWechat } from "../src/mock/index.ts";
import type { MockWechat } from "../src/mock/index.ts";
import {
  CODE2SESSION_PATH,
  NEVER_MINTED_CODE,
  expectNoLeak,
  expectWechatError,
  isBase64Of16Bytes,
  startRawServer,
  unusedPort,
} from "./helpers.ts";

const SECRET = "test-secret-0f3c9a7e1d2b4c6a";

let mock: MockWechat;
let client: WechatClient;

beforeAll(async () => {
  mock = await startMockWechat({ appid: "wxtest00000000000a", secret: SECRET });
  client = createWechatClient({ appid: mock.appid, secret: mock.secret, baseUrl: mock.url, timeoutMs: 2000 });
});
afterAll(() => mock.close());
beforeEach(() => resetMock(mock.url));

describe("code2Session success", () => {
  it("returns openid and a 16-byte base64 session key, and no unionid when none is bound", async () => {
    const { code, openid } = await mintLoginCode(mock.url, {});
    const result = await client.code2Session(code);
    expect(result.openid).toBe(openid);
    expect(isBase64Of16Bytes(result.sessionKey)).toBe(true);
    expect(result).not.toHaveProperty("unionid");
  });

  it("returns the unionid given at mint time, and remembers it for later codes of that openid", async () => {
    const first = await mintLoginCode(mock.url, { openid: "oUnionUser0000000000000000001", unionid: "oUnion-abc" });
    expect(await client.code2Session(first.code)).toMatchObject({
      openid: "oUnionUser0000000000000000001",
      unionid: "oUnion-abc",
    });

    const second = await mintLoginCode(mock.url, { openid: "oUnionUser0000000000000000001" });
    expect((await client.code2Session(second.code)).unionid).toBe("oUnion-abc");
  });

  it("parses the body although the mock labels it text/plain, as WeChat does", async () => {
    const { code, openid } = await mintLoginCode(mock.url);
    const url = `${mock.url}${CODE2SESSION_PATH}?${new URLSearchParams({ appid: mock.appid, secret: SECRET, js_code: code, grant_type: "authorization_code" }).toString()}`;
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/plain");
    expect(JSON.parse(await response.text())).toMatchObject({ openid });

    // The same kind of answer through the client.
    const again = await mintLoginCode(mock.url, { openid });
    expect((await client.code2Session(again.code)).openid).toBe(openid);
  });

  it("rotates the session key with every code minted for one openid", async () => {
    const first = await mintLoginCode(mock.url, { openid: "oRotating000000000000000000001" });
    const second = await mintLoginCode(mock.url, { openid: "oRotating000000000000000000001" });
    expect(first.code).not.toBe(second.code);
    // The older code still redeems (to the key current when it was minted).
    const firstKey = (await client.code2Session(first.code)).sessionKey;
    const secondKey = (await client.code2Session(second.code)).sessionKey;
    expect(isBase64Of16Bytes(firstKey)).toBe(true);
    expect(isBase64Of16Bytes(secondKey)).toBe(true);
    expect(firstKey).not.toBe(secondKey);
  });

  it("gives different users different openids and keys", async () => {
    const alice = await client.code2Session((await mintLoginCode(mock.url)).code);
    const bob = await client.code2Session((await mintLoginCode(mock.url)).code);
    expect(alice.openid).not.toBe(bob.openid);
    expect(alice.sessionKey).not.toBe(bob.sessionKey);
  });
});

describe("code2Session refusals from the mock", () => {
  function expectKind(
    error: { kind: WechatErrorKind; errcode?: number; retryable: boolean },
    kind: WechatErrorKind,
    errcode: number,
    retryable: boolean,
  ) {
    expect({ kind: error.kind, errcode: error.errcode, retryable: error.retryable }).toEqual({
      kind,
      errcode,
      retryable,
    });
  }

  it("40029 for a code the mock never minted", async () => {
    const error = await expectWechatError(client.code2Session(NEVER_MINTED_CODE));
    expectKind(error, "invalid_code", 40029, false);
    expect(error.message).toContain("WeChat code2Session refused the code: invalid code (errcode 40029)");
    expectNoLeak(error, [SECRET, NEVER_MINTED_CODE]);
  });

  it("40163 for a code used twice, without leaking the first session key", async () => {
    const { code } = await mintLoginCode(mock.url);
    const { sessionKey } = await client.code2Session(code);
    const error = await expectWechatError(client.code2Session(code));
    expectKind(error, "code_used", 40163, false);
    expectNoLeak(error, [SECRET, code, sessionKey]);
  });

  it("41008 for an empty code", async () => {
    const error = await expectWechatError(client.code2Session(""));
    expectKind(error, "missing_code", 41008, false);
    expectNoLeak(error, [SECRET]);
  });

  it("40013 for a wrong appid", async () => {
    const wrongAppid = createWechatClient({ appid: "wxwrongappid00000", secret: SECRET, baseUrl: mock.url });
    const { code } = await mintLoginCode(mock.url);
    const error = await expectWechatError(wrongAppid.code2Session(code));
    expectKind(error, "config", 40013, false);
    expect(error.message).toContain("appid");
    expectNoLeak(error, [SECRET, code]);
  });

  it("40125 for a wrong secret, without echoing either secret", async () => {
    const wrongSecret = "wrong-secret-77d1e0c2b9a8";
    const wrongSecretClient = createWechatClient({ appid: mock.appid, secret: wrongSecret, baseUrl: mock.url });
    const { code } = await mintLoginCode(mock.url);
    const error = await expectWechatError(wrongSecretClient.code2Session(code));
    expectKind(error, "config", 40125, false);
    expectNoLeak(error, [SECRET, wrongSecret, code]);
  });

  it("a rejected code stays usable: the appid check runs before the code is spent", async () => {
    const wrongAppid = createWechatClient({ appid: "wxwrongappid00000", secret: SECRET, baseUrl: mock.url });
    const { code, openid } = await mintLoginCode(mock.url);
    await expectWechatError(wrongAppid.code2Session(code));
    expect((await client.code2Session(code)).openid).toBe(openid);
  });

  it.each([
    { errcode: -1, kind: "busy", retryable: true },
    { errcode: 45011, kind: "rate_limited", retryable: true },
    { errcode: 40226, kind: "user_blocked", retryable: false },
  ] as const)("$errcode injected as a fault -> $kind", async ({ errcode, kind, retryable }) => {
    const { code, openid } = await mintLoginCode(mock.url);
    await injectFault(mock.url, { path: CODE2SESSION_PATH, errcode });
    const error = await expectWechatError(client.code2Session(code));
    expectKind(error, kind, errcode, retryable);
    expect(error.message).toContain(`(errcode ${errcode})`);
    expectNoLeak(error, [SECRET, code]);
    // The fault was consumed and did not spend the code.
    expect((await client.code2Session(code)).openid).toBe(openid);
  });

  it("an errcode outside the table is kind unknown, with WeChat's errmsg quoted but scrubbed", async () => {
    const { code } = await mintLoginCode(mock.url);
    await injectFault(mock.url, {
      path: CODE2SESSION_PATH,
      errcode: 61234,
      errmsg: `weird failure for ${code} with ${SECRET}`,
    });
    const error = await expectWechatError(client.code2Session(code));
    expectKind(error, "unknown", 61234, false);
    expect(error.message).toContain("weird failure for [redacted]");
    expectNoLeak(error, [SECRET, code]);
  });
});

describe("code2Session with an expired code", () => {
  it("accepts a code until codeTtlMs has passed, then answers 40029", async () => {
    let clock = 1_700_000_000_000;
    const timedMock = await startMockWechat({ codeTtlMs: 300_000, now: () => clock });
    try {
      const timedClient = createWechatClient({
        appid: timedMock.appid,
        secret: timedMock.secret,
        baseUrl: timedMock.url,
      });
      const stillFresh = await mintLoginCode(timedMock.url);
      const expiring = await mintLoginCode(timedMock.url);

      clock += 299_999;
      expect((await timedClient.code2Session(stillFresh.code)).openid).toBe(stillFresh.openid);

      clock += 1;
      const error = await expectWechatError(timedClient.code2Session(expiring.code));
      expect([error.kind, error.errcode]).toEqual(["invalid_code", 40029]);
      expectNoLeak(error, [timedMock.secret, expiring.code]);
    } finally {
      await timedMock.close();
    }
  });
});

describe("code2Session transport failures", () => {
  it("times out within timeoutMs when WeChat hangs", async () => {
    const timeoutMs = 300;
    const impatient = createWechatClient({ appid: mock.appid, secret: SECRET, baseUrl: mock.url, timeoutMs });
    const { code } = await mintLoginCode(mock.url);
    await injectFault(mock.url, { path: CODE2SESSION_PATH, hang: true });
    const startedAt = performance.now();
    const error = await expectWechatError(impatient.code2Session(code));
    const elapsed = performance.now() - startedAt;
    expect([error.kind, error.retryable, error.errcode]).toEqual(["timeout", true, undefined]);
    expect(elapsed).toBeGreaterThanOrEqual(timeoutMs - 20);
    expect(elapsed).toBeLessThan(timeoutMs + 1500);
    expect(error.message).toContain(`${timeoutMs} ms`);
    expectNoLeak(error, [SECRET, code]);
  });

  it("reports network when nothing listens, without the URL in message or cause", async () => {
    const port = await unusedPort();
    const unreachable = createWechatClient({
      appid: "wxunreachable0000",
      secret: SECRET,
      baseUrl: `http://127.0.0.1:${port}`,
    });
    const error = await expectWechatError(unreachable.code2Session(NEVER_MINTED_CODE));
    expect([error.kind, error.retryable]).toEqual(["network", true]);
    expect(error.message).toContain("ECONNREFUSED");
    // The cause is our rebuilt one (name and system code only), not node's original error.
    expect(error.cause).toBeInstanceOf(Error);
    expect((error.cause as Error).message).toBe("Error: ECONNREFUSED");
    expectNoLeak(error, [SECRET, NEVER_MINTED_CODE]);
  });

  describe("against a server that answers unlike WeChat", () => {
    const answers = new Map<string, { status: number; contentType: string; body: string }>();
    let raw: Awaited<ReturnType<typeof startRawServer>>;
    beforeAll(async () => {
      raw = await startRawServer((request, response) => {
        const answer = answers.get(new URL(request.url ?? "/", "http://x").searchParams.get("js_code") ?? "");
        response.writeHead(answer?.status ?? 500, { "content-type": answer?.contentType ?? "text/plain" });
        response.end(answer?.body ?? "no answer configured");
      });
    });
    afterAll(() => raw.close());

    async function answerWith(code: string, answer: { status?: number; contentType?: string; body: string }) {
      answers.set(code, {
        status: answer.status ?? 200,
        contentType: answer.contentType ?? "text/plain",
        body: answer.body,
      });
      const rawClient = createWechatClient({ appid: "wxraw000000000000", secret: SECRET, baseUrl: raw.url });
      const error = await expectWechatError(rawClient.code2Session(code));
      expect([error.kind, error.retryable]).toEqual(["bad_response", false]);
      expectNoLeak(error, [SECRET, code]);
      return error;
    }

    it("an HTML page with HTTP 200", async () => {
      const error = await answerWith("code-html-200-aaaa", {
        contentType: "text/html",
        body: "<html><body>Welcome to nginx</body></html>",
      });
      expect(error.message).toContain("not JSON");
      expect(error.message).not.toContain("nginx");
    });

    it("a non-2xx status, even with a JSON body", async () => {
      const error = await answerWith("code-502-bbbbbbbbbb", {
        status: 502,
        contentType: "application/json",
        body: '{"openid":"o1","session_key":"k"}',
      });
      expect(error.httpStatus).toBe(502);
      expect(error.message).toContain("HTTP 502");
    });

    it("success JSON of the wrong shape, without leaking the session_key it holds", async () => {
      const leakySessionKey = "LeakySessionKey0000000==";
      const error = await answerWith("code-shape-cccccccc", {
        body: JSON.stringify({ openid: 12345, session_key: leakySessionKey }),
      });
      expect(error.message).toContain("openid");
      expectNoLeak(error, [leakySessionKey]);
    });

    it("JSON that is not an object", async () => {
      await answerWith("code-array-dddddddd", { body: "[1,2,3]" });
    });

    it("an errcode that is not a number", async () => {
      await answerWith("code-errcode-eeeeeee", { body: '{"errcode":"40029","errmsg":"invalid code"}' });
    });

    it("accepts errcode 0 on a success body", async () => {
      answers.set("code-zero-ffffffff", {
        status: 200,
        contentType: "application/json",
        body: '{"errcode":0,"openid":"oZero","session_key":"a2V5a2V5a2V5a2V5a2V5aw=="}',
      });
      const rawClient = createWechatClient({ appid: "wxraw000000000000", secret: SECRET, baseUrl: raw.url });
      expect(await rawClient.code2Session("code-zero-ffffffff")).toEqual({
        openid: "oZero",
        sessionKey: "a2V5a2V5a2V5a2V5a2V5aw==",
      });
    });
  });
});

describe("client configuration and the errcode table", () => {
  it("refuses an empty appid or secret, and a bad base URL, at creation", () => {
    expect(() => createWechatClient({ appid: "", secret: SECRET })).toThrow(/appid is empty/);
    expect(() => createWechatClient({ appid: "wx1", secret: "" })).toThrow(/secret is empty/);
    expect(() => createWechatClient({ appid: "wx1", secret: SECRET, baseUrl: "not a url" })).toThrow(/baseUrl/);
    expect(() => createWechatClient({ appid: "wx1", secret: SECRET, timeoutMs: 0 })).toThrow(/timeoutMs/);
  });

  it("keeps a base URL path prefix (a proxy in front of WeChat)", async () => {
    const seenPaths: string[] = [];
    const proxy = await startRawServer((request, response) => {
      seenPaths.push(new URL(request.url ?? "/", "http://x").pathname);
      response.end('{"openid":"oProxy","session_key":"a2V5a2V5a2V5a2V5a2V5aw=="}');
    });
    try {
      const proxied = createWechatClient({ appid: "wx1", secret: SECRET, baseUrl: `${proxy.url}/wechat/` });
      await proxied.code2Session("any-code-0000");
      expect(seenPaths).toEqual(["/wechat/sns/jscode2session"]);
    } finally {
      await proxy.close();
    }
  });

  it("maps each documented errcode to its kind", () => {
    expect(describeWechatErrcode(-1)?.kind).toBe("busy");
    expect(describeWechatErrcode(40029)?.kind).toBe("invalid_code");
    expect(describeWechatErrcode(40163)?.kind).toBe("code_used");
    expect(describeWechatErrcode(40226)?.kind).toBe("user_blocked");
    expect(describeWechatErrcode(45011)?.kind).toBe("rate_limited");
    expect(describeWechatErrcode(41008)?.kind).toBe("missing_code");
    for (const errcode of [40013, 40125, 41002, 41004]) expect(describeWechatErrcode(errcode)?.kind).toBe("config");
    expect(describeWechatErrcode(12345)).toBeUndefined();
    expect(Object.keys(WECHAT_ERRCODES)).toHaveLength(10);
  });

  it("keeps one errcode table per API: the same errcode can mean different things", () => {
    expect(describeWechatErrcode(40029, "code2Session")?.meaning).toBe("invalid code");
    expect(describeWechatErrcode(40029, "getUserPhoneNumber")?.meaning).toBe("invalid phone code");
    expect(describeWechatErrcode(40029, "getStableAccessToken")).toBeUndefined();
    expect(describeWechatErrcode(40001)).toBeUndefined(); // code2Session takes no access_token
    for (const api of ["getUserPhoneNumber", "checkSessionKey", "resetUserSessionKey"] as const) {
      for (const errcode of [40001, 42001, 40014])
        expect(describeWechatErrcode(errcode, api)?.kind).toBe("access_token_invalid");
    }
    expect(describeWechatErrcode(87009, "checkSessionKey")?.kind).toBe("session_key_invalid");
    expect(describeWechatErrcode(87008, "resetUserSessionKey")?.kind).toBe("invalid_request");
    expect(describeWechatErrcode(45009, "getStableAccessToken")?.kind).toBe("quota_exhausted");
    expect(describeWechatErrcode(-1, "getStableAccessToken")?.kind).toBe("busy");
    expect(describeWechatErrcode(40164, "getStableAccessToken")?.kind).toBe("config");
    expect(Object.keys(WECHAT_API_ERRCODES).sort()).toEqual([
      "checkSessionKey",
      "code2Session",
      "getStableAccessToken",
      "getUserPhoneNumber",
      "resetUserSessionKey",
    ]);
  });
});
