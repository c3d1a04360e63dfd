import { readFileSync, unlinkSync } from "node:fs";
import path from "node:path";
import { banUser } from "@mp-auth/api";
import { ERROR_TAXONOMY, HTTP_STATUS_BY_CODE, NOTES_MAX_PER_USER, type ErrorReason } from "@mp-auth/contract";
import { createDatabase } from "@mp-auth/db";
import {
  encryptForUser,
  getMockStats,
  injectFault,
  mintLoginCode,
  mintPhoneCode,
  MOCK_DEFAULT_APPID,
} from "@mp-auth/wechat/mock";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, loginAs, request, startTestServer, uploadAvatar, type CallResult, type TestServer } from "./harness.ts";
import { startOperator } from "./support/operator.ts";
import { holdWriteLock } from "./support/other-process.ts";

/**
 * Every row of the contract's error taxonomy, triggered end to end over HTTP against the real mock
 * WeChat, or named as triggered by the suites of the part that raises it (faults this suite cannot
 * cause from outside). A row added to ERROR_TAXONOMY with neither fails the typecheck and this suite.
 */
let server: TestServer;
let limited: TestServer;
let broken: TestServer;
/** One request at a time, no queue, short waits: for OVERLOADED and DATABASE_BUSY. */
let tight: TestServer;
/** Its database file is deleted by the DATABASE_UNAVAILABLE trigger. */
let doomed: TestServer;
/** Two mini-programs on the mock: a request naming neither is APPID_REQUIRED. */
let twoApps: TestServer;
const OTHER_APPID = "wxmock000000000002";
beforeAll(async () => {
  [server, limited, broken, tight, doomed, twoApps] = await Promise.all([
    startTestServer({ WX_TIMEOUT_MS: "1000" }),
    startTestServer({ LOGIN_RATE_LIMIT_PER_IP: "1" }),
    startTestServer(),
    startTestServer({
      MAX_REQUESTS_IN_FLIGHT: "1",
      MAX_REQUESTS_QUEUED: "0",
      WX_TIMEOUT_MS: "1000",
      DATABASE_BUSY_TIMEOUT_MS: "300",
    }),
    startTestServer({ DATABASE_FILE_CHECK_INTERVAL_MS: "200" }),
    startTestServer({ WX_MOCK_APPIDS: `${MOCK_DEFAULT_APPID},${OTHER_APPID}` }),
  ]);
});
afterAll(async () =>
  Promise.all([server?.close(), limited?.close(), broken?.close(), tight?.close(), doomed?.close(), twoApps?.close()]),
);

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

/** A valid 1x1 PNG. */
const PNG = Buffer.from(
  "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201a5d1e5a10000000049454e44ae426082",
  "hex",
);

let internalAnswer: Promise<CallResult> | undefined;

/** Rows raised by parts whose faults need their own setup; their suites trigger them. */
// Every row has a trigger here: the Record type makes a new reason without one a compile error.
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
  // An operator bans the user (as the operator CLI does): the next call is refused (accounts.test.ts has more).
  ACCOUNT_BANNED: async () => {
    const { token, user } = await login();
    const operator = await startOperator({ databaseUrl: server.databaseUrl, avatarDir: server.uploadDir });
    await banUser(operator, { userId: user.id, reason: "taxonomy trigger" }).finally(() => operator.close());
    return me(token);
  },
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
  // A user already keeping the most notes allowed (written straight to the database) creates one more.
  QUOTA_EXCEEDED: async () => {
    const { token, user } = await login();
    const db = await createDatabase(server.databaseUrl);
    await db.note
      .createMany({
        data: Array.from({ length: NOTES_MAX_PER_USER }, (_, n) => ({ userId: user.id, title: `${n}`, body: "" })),
      })
      .finally(() => db.$disconnect());
    return call(server.url, "notes.create", { token, input: { title: "one too many" } });
  },
  UPLOAD_TOO_LARGE: async () =>
    uploadAvatar(server, Buffer.concat([PNG, Buffer.alloc(2 * 1024 * 1024)]), { token: (await login()).token }),
  UPLOAD_UNSUPPORTED_TYPE: async () =>
    uploadAvatar(server, Buffer.from("GIF88a not an image"), { token: (await login()).token }),
  ROUTE_NOT_FOUND: () => request(`${server.url}/graphql`),
  // A mutation by GET.
  METHOD_NOT_ALLOWED: () => call(server.url, "auth.logout", { type: "query" }),
  // A fault the code does not expect: a table gone under the server (once: the answer is kept).
  INTERNAL: () =>
    (internalAnswer ??= (async () => {
      const { token } = await loginAs(broken);
      const db = await createDatabase(broken.databaseUrl);
      await db.$executeRawUnsafe("DROP TABLE Session").finally(() => db.$disconnect());
      return call(broken.url, "user.me", { type: "query", token });
    })()),
  // An appid the server does not serve, from the link's header.
  UNKNOWN_APPID: async () => {
    const { code } = await mintLoginCode(server.mockWechatUrl, {});
    return call(server.url, "auth.login", { input: { code }, headers: { "x-wx-appid": OTHER_APPID } });
  },
  // Two apps, and a request that names neither.
  APPID_REQUIRED: async () => {
    const { code } = await mintLoginCode(twoApps.mockWechatUrl, {});
    return call(twoApps.url, "auth.login", { input: { code } });
  },
  // The header says one app, WeChat's Referer another: a build made for the wrong app.
  APPID_MISMATCH: async () => {
    const { code } = await mintLoginCode(twoApps.mockWechatUrl, {});
    return call(twoApps.url, "auth.login", {
      input: { code },
      headers: {
        "x-wx-appid": MOCK_DEFAULT_APPID,
        referer: `https://servicewechat.com/${OTHER_APPID}/7/page-frame.html`,
      },
    });
  },
  // The file deleted under the running server (faults.test.ts covers more database faults).
  DATABASE_UNAVAILABLE: async () => {
    unlinkSync(doomed.databaseUrl.slice("file:".length));
    const { code } = await mintLoginCode(doomed.mockWechatUrl, {});
    return call(doomed.url, "auth.login", { input: { code } });
  },
  // Another process holds the write lock while a login writes.
  DATABASE_BUSY: async () => {
    const lock = await holdWriteLock(tight.databaseUrl.slice("file:".length));
    try {
      const { code } = await mintLoginCode(tight.mockWechatUrl, {});
      return await call(tight.url, "auth.login", { input: { code } });
    } finally {
      await lock.release();
    }
  },
  // The one request slot is held by a login waiting on a hanging WeChat: the next call is shed.
  OVERLOADED: async () => {
    const { code } = await mintLoginCode(tight.mockWechatUrl, {});
    await injectFault(tight.mockWechatUrl, { path: "/sns/jscode2session", hang: true });
    const before = (await getMockStats(tight.mockWechatUrl))["/sns/jscode2session"] ?? 0;
    const holding = call(tight.url, "auth.login", { input: { code } });
    while (((await getMockStats(tight.mockWechatUrl))["/sns/jscode2session"] ?? 0) === before) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const shed = await call(tight.url, "user.me", { type: "query" });
    await holding;
    return shed;
  },
  // One GET batching more calls than MAX_BATCH_SIZE (10 by default).
  BATCH_TOO_LARGE: () => request(`${server.url}/trpc/${Array.from({ length: 11 }, () => "user.me").join(",")}?batch=1`),
  // One user uploading past UPLOAD_RATE_LIMIT_PER_USER (20 an hour by default): the first refusal.
  UPLOAD_RATE_LIMITED: async () => {
    const { token } = await login();
    for (let upload = 1; ; upload++) {
      const answer = await uploadAvatar(server, PNG, { token });
      if (answer.status !== 200 || upload > 100) return answer;
    }
  },
};

describe("error taxonomy", () => {
  it("has a trigger for exactly the rows of the table", () => {
    expect(Object.keys(triggers).sort()).toEqual(Object.keys(ERROR_TAXONOMY).sort());
  });

  it.each(Object.entries(ERROR_TAXONOMY))("%s is answered as the table says", async (reason, row) => {
    const trigger = triggers[reason as ErrorReason];
    const result = await trigger();
    expect(result.status).toBe(HTTP_STATUS_BY_CODE[row.code]);
    expect(result.contentType).toMatch(/^application\/json/);
    expect(result.error!.data).toMatchObject({
      code: row.code,
      httpStatus: HTTP_STATUS_BY_CODE[row.code],
      reason,
      action: row.action,
      retryable: row.action === "retry",
    });
    expect(result.error!.data.stack).toBeUndefined();
  });

  it("INTERNAL tells the client nothing of its cause, and logs it", async () => {
    const result = await triggers.INTERNAL();
    expect(result.error!.message).toBe("Internal server error.");
    expect(result.raw).not.toMatch(/Session|SQL|table/i);
    expect(broken.logs.text).toMatch(/procedure failed/);
    expect(broken.logs.text).toMatch(/no such table/);
  });

  it("README's taxonomy table matches the contract's ERROR_TAXONOMY row for row", () => {
    const readme = readFileSync(path.resolve(import.meta.dirname, "../../../README.md"), "utf8");
    const rows = new Map<string, { source: string; code: string; status: number; action: string }>();
    for (const line of readme.split("\n")) {
      const match = /^\| `([A-Z_]+)` \| ([^|]*) \| ([A-Z_]+) \((\d+)\) \| (relogin|retry|show|block) \|/.exec(line);
      if (match) {
        rows.set(match[1]!, { source: match[2]!, code: match[3]!, status: Number(match[4]), action: match[5]! });
      }
    }
    const expected = Object.fromEntries(
      Object.entries(ERROR_TAXONOMY).map(([reason, row]) => [
        reason,
        { source: row.source, code: row.code, status: HTTP_STATUS_BY_CODE[row.code], action: row.action },
      ]),
    );
    expect(Object.fromEntries(rows)).toEqual(expected);
  });
});
