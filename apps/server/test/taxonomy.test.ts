import { readFileSync } from "node:fs";
import path from "node:path";
import { ERROR_TAXONOMY, type ErrorReason } from "@mp-auth/api";
import { createDatabase } from "@mp-auth/db";
import { encryptForUser, injectFault, mintLoginCode, mintPhoneCode } from "@mp-auth/wechat/mock";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, loginAs, startTestServer, type CallResult, type TestServer } from "./harness.ts";

/**
 * Every row of the error taxonomy, triggered end to end over HTTP against the real mock WeChat:
 * a reason added to ERROR_TAXONOMY without a trigger here fails this suite.
 */
let server: TestServer;
let limited: TestServer;
beforeAll(async () => {
  [server, limited] = await Promise.all([
    startTestServer({ WX_TIMEOUT_MS: "1000" }),
    startTestServer({ LOGIN_RATE_LIMIT_PER_IP: "1" }),
  ]);
});
afterAll(async () => Promise.all([server?.close(), limited?.close()]));

const login = () => loginAs(server);

async function loginWithFault(fault: { errcode?: number; hang?: boolean }) {
  const { code } = await mintLoginCode(server.mockWechatUrl, {});
  await injectFault(server.mockWechatUrl, { path: "/sns/jscode2session", ...fault });
  return call(server.url, "auth.login", { input: { code } });
}

async function bindPhoneWithFault(errcode: number) {
  const { token } = await login();
  const { code } = await mintPhoneCode(server.mockWechatUrl, {});
  await injectFault(server.mockWechatUrl, { path: "/wxa/business/getuserphonenumber", errcode, count: 2 });
  return call(server.url, "user.bindPhone", { token, input: { code } });
}

const me = (token?: string, authorization?: string) =>
  call(server.url, "user.me", {
    type: "query",
    ...(token ? { token } : {}),
    ...(authorization ? { authorization } : {}),
  });

const triggers: Record<ErrorReason, () => Promise<CallResult>> = {
  NO_TOKEN: () => me(),
  MALFORMED_TOKEN: () => me(undefined, "Bearer nope"),
  UNKNOWN_TOKEN: () => me(`mpa_${"A".repeat(43)}`),
  EXPIRED: async () => {
    const { token, user } = await login();
    const db = await createDatabase(server.databaseUrl);
    await db.session
      .updateMany({ where: { userId: user.id }, data: { expiresAt: new Date(0) } })
      .finally(() => db.$disconnect());
    return me(token);
  },
  REVOKED: async () => {
    const { token } = await login();
    await call(server.url, "auth.logout", { token });
    return me(token);
  },
  SESSION_KEY_STALE: async () => {
    const { token, openid } = await login();
    await mintLoginCode(server.mockWechatUrl, { openid }); // WeChat rotated the key; we never saw the code
    const { encryptedData, iv } = await encryptForUser(server.mockWechatUrl, {
      openid,
      data: { phoneNumber: "13800000000" },
    });
    return call(server.url, "user.bindPhone", { token, input: { encryptedData, iv } });
  },
  INVALID_INPUT: () => call(server.url, "auth.login", { input: { code: 42 } }),
  WX_CODE_INVALID: () => call(server.url, "auth.login", { input: { code: "f".repeat(32) } }),
  WX_CODE_USED: () => loginWithFault({ errcode: 40163 }),
  WX_USER_BLOCKED: () => loginWithFault({ errcode: 40226 }),
  WX_RATE_LIMITED: () => loginWithFault({ errcode: 45011 }),
  LOGIN_RATE_LIMITED: async () => {
    await call(limited.url, "auth.login", { input: { code: "a".repeat(32) } });
    return call(limited.url, "auth.login", { input: { code: "b".repeat(32) } });
  },
  WX_BUSY: () => loginWithFault({ errcode: -1 }),
  WX_TIMEOUT: () => loginWithFault({ hang: true }),
  WX_UNAVAILABLE: () => bindPhoneWithFault(40001),
  WX_MISCONFIGURED: () => loginWithFault({ errcode: 40125 }),
  PHONE_CODE_INVALID: () => bindPhoneWithFault(40029),
  ENCRYPTED_DATA_INVALID: async () => {
    const { token, openid } = await login();
    const { encryptedData, iv } = await encryptForUser(server.mockWechatUrl, {
      openid,
      data: { phoneNumber: "1" },
      watermark: { appid: "wx1111111111111111" },
    });
    return call(server.url, "user.bindPhone", { token, input: { encryptedData, iv } });
  },
  NOT_FOUND: async () => {
    const { token } = await login();
    return call(server.url, "auth.revoke", { token, input: { id: "not-a-session" } });
  },
};

const httpStatus: Record<string, number> = {
  UNAUTHORIZED: 401,
  BAD_REQUEST: 400,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  TOO_MANY_REQUESTS: 429,
  INTERNAL_SERVER_ERROR: 500,
  BAD_GATEWAY: 502,
  SERVICE_UNAVAILABLE: 503,
  GATEWAY_TIMEOUT: 504,
};

describe("error taxonomy", () => {
  it.each(Object.entries(ERROR_TAXONOMY))("%s is answered as the table says", async (reason, row) => {
    const result = await triggers[reason as ErrorReason]();
    expect(result.status).toBe(httpStatus[row.code]);
    expect(result.error!.data).toMatchObject({
      code: row.code,
      reason,
      action: row.action,
      retryable: row.action === "retry",
    });
    expect(result.error!.data.stack).toBeUndefined();
  });

  it("README's taxonomy table matches ERROR_TAXONOMY row for row", () => {
    const readme = readFileSync(path.resolve(import.meta.dirname, "../../../README.md"), "utf8");
    const rows = new Map<string, { code: string; action: string }>();
    for (const line of readme.split("\n")) {
      const match = /^\| `([A-Z_]+)` \| [^|]* \| ([A-Z_]+) \(\d+\) \| (relogin|retry|show|block) \|/.exec(line);
      if (match) rows.set(match[1]!, { code: match[2]!, action: match[3]! });
    }
    const expected = Object.fromEntries(
      Object.entries(ERROR_TAXONOMY).map(([reason, row]) => [reason, { code: row.code, action: row.action }]),
    );
    expect(Object.fromEntries(rows)).toEqual(expected);
  });
});
