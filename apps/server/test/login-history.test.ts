import { createDatabase } from "@mp-auth/db";
import { mintLoginCode } from "@mp-auth/wechat/mock";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseServerEnv } from "../src/env.ts";
import { call, request, serverTestEngines, startTestServer, type LoginResult, type TestServer } from "./harness.ts";

interface HistoryPage {
  items: { id: string; at: string; result: string; reason: string | null; userAgent: string | null; network: string }[];
  nextCursor: string | null;
}

const phoneAgent = "Mozilla/5.0 (Linux; Android 14) MicroMessenger/8.0.50 miniProgram";

describe("LOGIN_HISTORY_RETENTION_DAYS", () => {
  it("defaults to 90 days and refuses nonsense", () => {
    expect(parseServerEnv({}).LOGIN_HISTORY_RETENTION_DAYS).toBe(90);
    expect(parseServerEnv({ LOGIN_HISTORY_RETENTION_DAYS: "7" }).LOGIN_HISTORY_RETENTION_DAYS).toBe(7);
    expect(() => parseServerEnv({ LOGIN_HISTORY_RETENTION_DAYS: "0" })).toThrow(/LOGIN_HISTORY_RETENTION_DAYS/);
    expect(() => parseServerEnv({ LOGIN_HISTORY_RETENTION_DAYS: "a week" })).toThrow(/LOGIN_HISTORY_RETENTION_DAYS/);
  });
});

describe.each(await serverTestEngines())("login history over HTTP on %s", (engine) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({}, { engine });
  });
  afterAll(async () => server?.close());

  const loginFrom = async (code: string) =>
    request<LoginResult>(`${server.url}/trpc/auth.login`, {
      method: "POST",
      headers: { "content-type": "application/json", "user-agent": phoneAgent },
      body: JSON.stringify({ code }),
    });

  it("records successes and refusals of real requests and shows the caller theirs", async () => {
    const openid = `o_history_http_${engine}_0000001`;
    const first = await loginFrom((await mintLoginCode(server.mockWechatUrl, { openid })).code);
    const refused = await loginFrom("9".repeat(32));
    expect(refused.error!.data.reason).toBe("WX_CODE_INVALID");
    const second = await loginFrom((await mintLoginCode(server.mockWechatUrl, { openid })).code);

    const history = await call<HistoryPage>(server.url, "auth.history", { type: "query", token: second.data!.token });
    expect(history.status).toBe(200);
    // The unattributed refusal is not the caller's; both successes are, newest first.
    expect(history.data!.items.map((item) => [item.result, item.reason, item.userAgent, item.network])).toEqual([
      ["success", null, phoneAgent, "127.0.0.0/24"],
      ["success", null, phoneAgent, "127.0.0.0/24"],
    ]);
    expect(history.data!.nextCursor).toBeNull();
    expect(history.raw).not.toContain("127.0.0.1");

    const db = await createDatabase(server.databaseUrl);
    try {
      const rows = await db.loginAttempt.findMany({
        select: { userId: true, result: true, reason: true, clientIp: true, userAgent: true },
        orderBy: { createdAt: "asc" },
      });
      expect(rows).toEqual([
        { userId: first.data!.user.id, result: "success", reason: null, clientIp: "127.0.0.1", userAgent: phoneAgent },
        { userId: null, result: "refused", reason: "WX_CODE_INVALID", clientIp: "127.0.0.1", userAgent: phoneAgent },
        { userId: first.data!.user.id, result: "success", reason: null, clientIp: "127.0.0.1", userAgent: phoneAgent },
      ]);
    } finally {
      await db.$disconnect();
    }
  });

  it("answers a bad page size with INVALID_INPUT and an anonymous caller with NO_TOKEN", async () => {
    const login = await loginFrom((await mintLoginCode(server.mockWechatUrl, {})).code);
    const tooMany = await call(server.url, "auth.history", {
      type: "query",
      token: login.data!.token,
      input: { limit: 1000 },
    });
    expect(tooMany.status).toBe(400);
    expect(tooMany.error!.data.reason).toBe("INVALID_INPUT");
    const anonymous = await call(server.url, "auth.history", { type: "query" });
    expect(anonymous.status).toBe(401);
    expect(anonymous.error!.data.reason).toBe("NO_TOKEN");
  });
});

describe("the retention sweep", () => {
  it("deletes attempts older than LOGIN_HISTORY_RETENTION_DAYS when the server starts", async () => {
    const first = await startTestServer({ LOGIN_HISTORY_RETENTION_DAYS: "30" });
    let keptId: string;
    const db = await createDatabase(first.databaseUrl);
    try {
      const login = await loginFrom(first);
      const old = await db.loginAttempt.create({
        data: {
          userId: login.user.id,
          appid: "wxold",
          result: "success",
          createdAt: new Date(Date.now() - 31 * 24 * 3600 * 1000),
        },
        select: { id: true },
      });
      keptId = (await db.loginAttempt.findFirstOrThrow({ where: { id: { not: old.id } }, select: { id: true } })).id;
      await first.close();
      const again = await startTestServer({ LOGIN_HISTORY_RETENTION_DAYS: "30", DATABASE_URL: first.databaseUrl });
      await again.close();
      expect((await db.loginAttempt.findMany({ select: { id: true } })).map((row) => row.id)).toEqual([keptId]);
      expect(again.logs.text).toContain("purged old login history");
    } finally {
      await db.$disconnect();
    }
  });

  async function loginFrom(server: TestServer) {
    const { code } = await mintLoginCode(server.mockWechatUrl, {});
    return (await call<LoginResult>(server.url, "auth.login", { input: { code } })).data!;
  }
});
