import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { banUser, unbanUser, type WiredApi } from "@mp-auth/api";
import { ACCOUNT_DELETION_CONFIRMATION } from "@mp-auth/contract";
import {
  createTestDatabase,
  deleteRedisKeysWithPrefix,
  requireRedisForTests,
  testRedisUrl,
  uniqueRedisKeyPrefix,
  type TestDatabase,
} from "@mp-auth/db/testing";
import { mintLoginCode } from "@mp-auth/wechat/mock";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  call,
  loginAs,
  request,
  serverTestEngines,
  startTestServer,
  tempDatabaseUrl,
  uploadAvatar,
  type TestServer,
} from "./harness.ts";
import { startOperator } from "./support/operator.ts";

/**
 * Bans and account deletion over HTTP, on two server instances sharing one database (and, on
 * PostgreSQL / MariaDB, one Redis: the shared session cache), with the operator acting from a third
 * wiring of its own, as the operator CLI does. On SQLite the two servers share one file, and each
 * one's in-process session cache must notice the other's (and the operator's) writes.
 */
const PNG = Buffer.from(
  "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201a5d1e5a10000000049454e44ae426082",
  "hex",
);

const engines = await serverTestEngines();
const redisReady = engines.some((engine) => engine !== "sqlite") && (await requireRedisForTests("accounts suite"));

describe.each(engines)("two instances on one %s database", (engine) => {
  let a: TestServer;
  let b: TestServer;
  let operator: WiredApi;
  let database: TestDatabase | undefined;
  let redisKeyPrefix: string | undefined;
  let uploadDir: string;

  beforeAll(async () => {
    uploadDir = mkdtempSync(path.join(tmpdir(), "mp-auth-accounts-"));
    database = engine === "sqlite" ? undefined : await createTestDatabase(engine);
    redisKeyPrefix = database && redisReady ? uniqueRedisKeyPrefix(`accounts-${engine}`) : undefined;
    const shared: Record<string, string> = {
      DATABASE_URL: database?.url ?? tempDatabaseUrl(),
      UPLOAD_DIR: uploadDir,
      ...(redisKeyPrefix ? { REDIS_URL: testRedisUrl(), REDIS_KEY_PREFIX: redisKeyPrefix } : {}),
    };
    a = await startTestServer(shared);
    b = await startTestServer(shared);
    operator = await startOperator({ databaseUrl: shared.DATABASE_URL!, avatarDir: uploadDir, redisKeyPrefix });
    if (redisKeyPrefix) {
      // Serving with Redis up, as a deployment does (until then the stores use process memory).
      for (const server of [a, b]) {
        const deadline = Date.now() + 10_000;
        while (((await (await fetch(`${server.url}/healthz`)).json()) as { redis?: string }).redis !== "up") {
          if (Date.now() > deadline) throw new Error("Redis did not come up for the accounts suite");
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      }
    }
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close(), operator?.close()]);
    await database?.drop();
    if (redisKeyPrefix) await deleteRedisKeysWithPrefix(redisKeyPrefix);
    rmSync(uploadDir, { recursive: true, force: true });
  });

  const me = (server: TestServer, token: string) => call(server.url, "user.me", { type: "query", token });

  it("a ban ends the user's sessions on every instance and refuses logins, until lifted", async () => {
    const onA = await loginAs(a);
    const onB = await loginAs(b, onA.openid);
    expect(onB.user.id).toBe(onA.user.id);
    // Each token served by both instances: cached wherever a cache exists.
    for (const server of [a, b]) for (const { token } of [onA, onB]) expect((await me(server, token)).status).toBe(200);

    await banUser(operator, { userId: onA.user.id, reason: "operator note: fraud ticket 7" });

    for (const server of [a, b]) {
      for (const { token } of [onA, onB]) {
        const refused = await me(server, token);
        expect(refused.status).toBe(403);
        expect(refused.error?.data).toMatchObject({ reason: "ACCOUNT_BANNED", action: "block", retryable: false });
        expect(refused.raw).not.toContain("fraud");
      }
      const { code } = await mintLoginCode(server.mockWechatUrl, { openid: onA.openid });
      const login = await call(server.url, "auth.login", { input: { code } });
      expect(login.status).toBe(403);
      expect(login.error?.data.reason).toBe("ACCOUNT_BANNED");
    }

    await unbanUser(operator, { userId: onA.user.id });
    const back = await loginAs(b, onA.openid);
    expect(back.user.id).toBe(onA.user.id);
    expect((await me(a, back.token)).status).toBe(200);
  });

  it("a timed ban carries its end time to the client", async () => {
    const user = await loginAs(a);
    const until = new Date(Date.now() + 3_600_000);
    await banUser(operator, { userId: user.user.id, reason: "one hour", until });
    const refused = await me(b, user.token);
    expect(refused.error?.data).toMatchObject({ reason: "ACCOUNT_BANNED", blockedUntil: until.toISOString() });
  });

  it("login -> delete -> the old token is refused everywhere -> a new login is a new, empty account", async () => {
    const first = await loginAs(a);
    const upload = await uploadAvatar(a, PNG, { token: first.token });
    const url = upload.data!.url;
    await call(a.url, "user.updateProfile", { token: first.token, input: { nickname: "小红", avatarUrl: url } });
    for (const server of [a, b]) expect((await me(server, first.token)).status).toBe(200);
    const avatarPath = new URL(url).pathname;
    expect((await fetch(`${a.url}${avatarPath}`)).status).toBe(200);

    const unconfirmed = await call(b.url, "user.deleteAccount", { token: first.token, input: { confirm: "yes" } });
    expect(unconfirmed.status).toBe(400);
    expect(unconfirmed.error?.data.reason).toBe("INVALID_INPUT");

    const deleted = await call(b.url, "user.deleteAccount", {
      token: first.token,
      input: { confirm: ACCOUNT_DELETION_CONFIRMATION },
    });
    expect(deleted).toMatchObject({ status: 200, data: { ok: true } });

    for (const server of [a, b]) {
      const refused = await me(server, first.token);
      expect(refused.status).toBe(401);
      expect(refused.error?.data.reason).toBe("UNKNOWN_TOKEN");
    }
    const file = await request(`${a.url}${avatarPath}`);
    expect(file.status).toBe(404);

    const again = await loginAs(a, first.openid);
    expect(again.user.id).not.toBe(first.user.id);
    expect(again.user).toMatchObject({ nickname: null, avatarUrl: null });
    expect((await me(b, again.token)).data).toMatchObject({ id: again.user.id, nickname: null, phoneNumber: null });
  });
});
