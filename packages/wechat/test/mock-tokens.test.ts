// The mock's access-token behaviour, spoken to over raw HTTP as WeChat would be.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  MOCK_ACCESS_TOKEN_OVERLAP_MS,
  MOCK_ACCESS_TOKEN_TTL_MS,
  MOCK_FORCE_REFRESH_DAILY_LIMIT,
  MOCK_FORCE_REFRESH_MIN_INTERVAL_MS,
  getMockStats,
  resetMock,
  startMockWechat,
} from "../src/mock/index.ts";
import type { MockWechat } from "../src/mock/index.ts";
import { LEGACY_TOKEN_PATH, PHONE_NUMBER_PATH, STABLE_TOKEN_PATH } from "./helpers.ts";

/** 2024-03-01 09:00 in China (UTC+8): far from the midnight that resets the force_refresh quota. */
const START = Date.UTC(2024, 2, 1, 1, 0, 0);
let clock = START;
let mock: MockWechat;

beforeAll(async () => {
  mock = await startMockWechat({ now: () => clock });
});
afterAll(() => mock.close());
beforeEach(async () => {
  clock = START;
  await resetMock(mock.url);
});

type Answer = Record<string, unknown>;

async function wechatText(response: Response): Promise<Answer> {
  expect(response.status).toBe(200);
  return JSON.parse(await response.text()) as Answer;
}

async function stableToken(body: unknown, method = "POST"): Promise<Answer> {
  const init: RequestInit =
    method === "POST"
      ? {
          method,
          headers: { "content-type": "application/json" },
          body: typeof body === "string" ? body : JSON.stringify(body),
        }
      : { method };
  return wechatText(await fetch(`${mock.url}${STABLE_TOKEN_PATH}`, init));
}

function stableBody(extra: Record<string, unknown> = {}) {
  return { grant_type: "client_credential", appid: mock.appid, secret: mock.secret, ...extra };
}

async function stable(forceRefresh = false): Promise<{ token: string; expiresIn: number }> {
  const answer = await stableToken(stableBody(forceRefresh ? { force_refresh: true } : {}));
  expect(answer).toEqual({ access_token: expect.any(String), expires_in: expect.any(Number) });
  return { token: answer.access_token as string, expiresIn: answer.expires_in as number };
}

async function legacy(): Promise<{ token: string; expiresIn: number }> {
  const query = new URLSearchParams({ grant_type: "client_credential", appid: mock.appid, secret: mock.secret });
  const answer = await wechatText(await fetch(`${mock.url}${LEGACY_TOKEN_PATH}?${query.toString()}`));
  expect(answer).toEqual({ access_token: expect.any(String), expires_in: 7200 });
  return { token: answer.access_token as string, expiresIn: answer.expires_in as number };
}

/**
 * What a token-taking API says about `token`: getuserphonenumber with a code the mock never minted
 * answers 40029 once the token is accepted, and a token errcode otherwise.
 */
async function tokenVerdict(token: string | undefined): Promise<number> {
  const query = token === undefined ? "" : `?${new URLSearchParams({ access_token: token }).toString()}`;
  const response = await fetch(`${mock.url}${PHONE_NUMBER_PATH}${query}`, {
    method: "POST",
    body: JSON.stringify({ code: "never-minted" }),
  });
  const answer = await wechatText(response);
  return answer.errcode as number;
}
const ACCEPTED = 40029;

describe("POST /cgi-bin/stable_token", () => {
  it("returns the SAME token in normal mode, its expires_in counting down", async () => {
    const first = await stable();
    expect(first.token).toMatch(/^\d{2}_[A-Za-z0-9_-]{100,}$/);
    expect(first.expiresIn).toBe(7200);
    clock += 1_000_000;
    const second = await stable();
    expect(second).toEqual({ token: first.token, expiresIn: 6200 });
    clock += 1500;
    expect((await stable()).expiresIn).toBe(6198);
    expect(await tokenVerdict(first.token)).toBe(ACCEPTED);
  });

  it("issues a new token within the last 5 minutes; the old one lives out its lifetime", async () => {
    const first = await stable();
    clock += MOCK_ACCESS_TOKEN_TTL_MS - MOCK_ACCESS_TOKEN_OVERLAP_MS - 1000;
    expect(await stable()).toEqual({ token: first.token, expiresIn: 301 });

    clock += 1000;
    const second = await stable();
    expect(second.token).not.toBe(first.token);
    expect(second.expiresIn).toBe(7200);
    expect(await stable()).toEqual(second); // stays the current one
    expect(await tokenVerdict(first.token)).toBe(ACCEPTED);

    clock += MOCK_ACCESS_TOKEN_OVERLAP_MS - 1;
    expect(await tokenVerdict(first.token)).toBe(ACCEPTED);
    clock += 1;
    expect(await tokenVerdict(first.token)).toBe(42001);
    expect(await tokenVerdict(second.token)).toBe(ACCEPTED);
  });

  it("issues a new token once the old one has expired", async () => {
    const first = await stable();
    clock += MOCK_ACCESS_TOKEN_TTL_MS;
    expect(await tokenVerdict(first.token)).toBe(42001);
    const second = await stable();
    expect(second.token).not.toBe(first.token);
    expect(second.expiresIn).toBe(7200);
  });

  it("force_refresh invalidates the old token at once", async () => {
    const first = await stable();
    const forced = await stable(true);
    expect(forced.token).not.toBe(first.token);
    expect(forced.expiresIn).toBe(7200);
    expect(await tokenVerdict(first.token)).toBe(40001);
    expect(await tokenVerdict(forced.token)).toBe(ACCEPTED);
    expect(await stable()).toEqual(forced);
  });

  it("a force_refresh less than 30 s after the previous one does not refresh (WeChat: 'will not refresh')", async () => {
    const forced = await stable(true);
    clock += MOCK_FORCE_REFRESH_MIN_INTERVAL_MS - 1000;
    expect(await stable(true)).toEqual({ token: forced.token, expiresIn: 7171 });
    expect(await tokenVerdict(forced.token)).toBe(ACCEPTED);
    clock += 1000;
    const again = await stable(true);
    expect(again.token).not.toBe(forced.token);
    expect(await tokenVerdict(forced.token)).toBe(40001);
  });

  it("allows 20 force_refresh a day (China time), then answers 45009 until midnight", async () => {
    const tokens = new Set<string>();
    for (let index = 0; index < MOCK_FORCE_REFRESH_DAILY_LIMIT; index++) {
      tokens.add((await stable(true)).token);
      clock += MOCK_FORCE_REFRESH_MIN_INTERVAL_MS;
    }
    expect(tokens.size).toBe(MOCK_FORCE_REFRESH_DAILY_LIMIT);
    const refused = await stableToken(stableBody({ force_refresh: true }));
    expect(refused.errcode).toBe(45009);
    // Normal mode still works and still hands out the last forced token.
    const last = [...tokens].at(-1);
    expect((await stable()).token).toBe(last);
    // 2024-03-02 00:00 China time.
    clock = Date.UTC(2024, 2, 1, 16, 0, 0);
    expect((await stable(true)).token).not.toBe(last);
  });

  it("answers 43002 to GET and 47001 to a body that is not a JSON object", async () => {
    expect((await stableToken(undefined, "GET")).errcode).toBe(43002);
    expect((await stableToken('{"appid": ')).errcode).toBe(47001);
    expect((await stableToken([1, 2])).errcode).toBe(47001);
    expect((await stableToken(stableBody({ force_refresh: "yes" }))).errcode).toBe(47001);
  });

  it.each([
    { case: "appid missing", body: { grant_type: "client_credential", secret: "x" }, errcode: 41002 },
    { case: "appid wrong", body: { grant_type: "client_credential", appid: "wxwrong", secret: "x" }, errcode: 40013 },
    { case: "secret missing", body: { grant_type: "client_credential", appid: "APPID" }, errcode: 41004 },
    {
      case: "secret wrong",
      body: { grant_type: "client_credential", appid: "APPID", secret: "wrong" },
      errcode: 40125,
    },
    {
      case: "grant_type wrong",
      body: { grant_type: "authorization_code", appid: "APPID", secret: "SECRET" },
      errcode: 40002,
    },
    { case: "no body at all", body: undefined, errcode: 41002 },
  ])("answers $errcode when $case", async ({ body, errcode }) => {
    const filled: unknown =
      body === undefined
        ? ""
        : JSON.parse(JSON.stringify(body).replace("APPID", mock.appid).replace("SECRET", mock.secret));
    expect((await stableToken(filled)).errcode).toBe(errcode);
  });
});

describe("GET /cgi-bin/token (legacy)", () => {
  it("issues a new token on every call; the previous one dies 5 minutes later (kicking the other instance out)", async () => {
    const instanceA = await legacy();
    clock += 60_000;
    const instanceB = await legacy();
    expect(instanceB.token).not.toBe(instanceA.token);
    expect(await tokenVerdict(instanceA.token)).toBe(ACCEPTED);
    clock += MOCK_ACCESS_TOKEN_OVERLAP_MS - 1;
    expect(await tokenVerdict(instanceA.token)).toBe(ACCEPTED);
    clock += 1;
    expect(await tokenVerdict(instanceA.token)).toBe(40001);
    expect(await tokenVerdict(instanceB.token)).toBe(ACCEPTED);
  });

  it("is isolated from stable_token: legacy calls never invalidate the stable token", async () => {
    const stableBefore = await stable();
    await legacy();
    await legacy();
    clock += MOCK_ACCESS_TOKEN_OVERLAP_MS;
    expect(await tokenVerdict(stableBefore.token)).toBe(ACCEPTED);
    expect((await stable()).token).toBe(stableBefore.token);
  });

  it("checks grant_type, appid and secret", async () => {
    const call = async (params: Record<string, string>) =>
      (await wechatText(await fetch(`${mock.url}${LEGACY_TOKEN_PATH}?${new URLSearchParams(params).toString()}`)))
        .errcode;
    expect(await call({ appid: mock.appid, secret: mock.secret })).toBe(40002);
    expect(await call({ grant_type: "client_credential", secret: mock.secret })).toBe(41002);
    expect(await call({ grant_type: "client_credential", appid: "wxwrong", secret: mock.secret })).toBe(40013);
    expect(await call({ grant_type: "client_credential", appid: mock.appid })).toBe(41004);
    expect(await call({ grant_type: "client_credential", appid: mock.appid, secret: "wrong" })).toBe(40125);
  });
});

describe("the token registry every token-taking route consults", () => {
  it("41001 without access_token, 40014 when malformed, 40001 when unknown, 42001 when expired", async () => {
    expect(await tokenVerdict(undefined)).toBe(41001);
    expect(await tokenVerdict("")).toBe(41001);
    expect(await tokenVerdict("not a token!")).toBe(40014);
    expect(await tokenVerdict("86_NeverIssuedToken0000000000000000")).toBe(40001);
    const { token } = await stable();
    clock += MOCK_ACCESS_TOKEN_TTL_MS - 1;
    expect(await tokenVerdict(token)).toBe(ACCEPTED);
    clock += 1;
    expect(await tokenVerdict(token)).toBe(42001);
  });

  it("reset forgets tokens; stats count token calls per path", async () => {
    const { token } = await stable();
    await legacy();
    await stableToken(undefined, "GET");
    const stats = await getMockStats(mock.url);
    expect([stats[STABLE_TOKEN_PATH], stats[LEGACY_TOKEN_PATH]]).toEqual([2, 1]);
    await resetMock(mock.url);
    expect(await tokenVerdict(token)).toBe(40001);
  });
});
