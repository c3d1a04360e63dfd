import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { createDatabase, databaseFilePath } from "@mp-auth/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, loginAs, startTestServer, type TestServer } from "./harness.ts";

/**
 * A session that ends is refused on the very next call, even while other calls of the same token
 * are in flight on the lean path and its one-statement lookup: nothing between the database and the
 * answer may keep a "live" verdict. Calls still running when the session ended may finish either
 * way; every call SENT after the ending answered must be refused.
 */

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
}, 60_000);

afterAll(async () => {
  await server?.close();
});

/**
 * Keeps `width` user.me calls of `token` in flight until stopped; records, per call, whether it
 * was sent after `endedAt()` became set, and what it answered.
 */
function hammer(token: string, width: number, endedAt: () => number | undefined) {
  const outcomes: { sentAfterEnd: boolean; status: number; reason: string | undefined }[] = [];
  let running = true;
  const lane = async () => {
    while (running) {
      const sentAfterEnd = endedAt() !== undefined;
      const result = await call(server.url, "user.me", { type: "query", token });
      outcomes.push({ sentAfterEnd, status: result.status, reason: result.error?.data.reason });
    }
  };
  const lanes = Array.from({ length: width }, lane);
  return {
    outcomes,
    stop: async () => {
      running = false;
      await Promise.all(lanes);
    },
  };
}

async function untilCalls(outcomes: unknown[], count: number) {
  while (outcomes.length < count) await new Promise((resolve) => setTimeout(resolve, 5));
}

function expectRefusedAfterEnd(
  outcomes: { sentAfterEnd: boolean; status: number; reason: string | undefined }[],
  reason: string,
) {
  const before = outcomes.filter((outcome) => !outcome.sentAfterEnd);
  const after = outcomes.filter((outcome) => outcome.sentAfterEnd);
  expect(before.some((outcome) => outcome.status === 200)).toBe(true);
  expect(after.length).toBeGreaterThan(20);
  expect(after.filter((outcome) => outcome.status !== 401 || outcome.reason !== reason)).toEqual([]);
}

describe("an ended session under concurrent calls", () => {
  it("logout: every call sent after logout answered is REVOKED", async () => {
    const { token } = await loginAs(server, "fresh-logout");
    let ended: number | undefined = undefined;
    const load = hammer(token, 16, () => ended);
    await untilCalls(load.outcomes, 50);
    // Another lane of the same token logs out; from its answer on, nothing may pass.
    const logout = await call(server.url, "auth.logout", { token });
    expect(logout.status).toBe(200);
    ended = Date.now();
    await untilCalls(load.outcomes, load.outcomes.length + 100);
    await load.stop();
    expectRefusedAfterEnd(load.outcomes, "REVOKED");
  });

  it("revoke from another device, and logoutAll", async () => {
    const first = await loginAs(server, "fresh-revoke");
    const second = await loginAs(server, "fresh-revoke");
    const sessions = await call<{ id: string; current: boolean }[]>(server.url, "auth.sessions", {
      type: "query",
      token: second.token,
    });
    const firstSession = sessions.data!.find((session) => !session.current)!;

    let revoked: number | undefined = undefined;
    const load = hammer(first.token, 16, () => revoked);
    await untilCalls(load.outcomes, 50);
    const revoke = await call(server.url, "auth.revoke", { token: second.token, input: { id: firstSession.id } });
    expect(revoke.status).toBe(200);
    revoked = Date.now();
    await untilCalls(load.outcomes, load.outcomes.length + 100);
    await load.stop();
    expectRefusedAfterEnd(load.outcomes, "REVOKED");

    let loggedOutAll: number | undefined = undefined;
    const rest = hammer(second.token, 16, () => loggedOutAll);
    await untilCalls(rest.outcomes, 50);
    const third = await loginAs(server, "fresh-revoke");
    expect((await call(server.url, "auth.logoutAll", { token: third.token })).status).toBe(200);
    loggedOutAll = Date.now();
    await untilCalls(rest.outcomes, rest.outcomes.length + 100);
    await rest.stop();
    expectRefusedAfterEnd(rest.outcomes, "REVOKED");
  });

  it("expiry written by another process: every call sent after it is EXPIRED", async () => {
    const { token, user } = await loginAs(server, "fresh-expiry");
    let expired: number | undefined = undefined;
    const load = hammer(token, 16, () => expired);
    await untilCalls(load.outcomes, 50);
    // Another process (a second instance, an operator) ends the session in the shared file.
    const db = await createDatabase(server.databaseUrl);
    try {
      await db.session.updateMany({ where: { userId: user.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    } finally {
      await db.$disconnect();
    }
    expired = Date.now();
    await untilCalls(load.outcomes, load.outcomes.length + 100);
    await load.stop();
    expectRefusedAfterEnd(load.outcomes, "EXPIRED");
  });

  it("a revoke by ANOTHER PROCESS (a child node with its own better-sqlite3 connection) is seen on the next call", async () => {
    const { token, user } = await loginAs(server, "fresh-child-revoke");
    // Warm: the token is answered from the in-process cache from here on.
    for (let index = 0; index < 5; index++)
      expect((await call(server.url, "user.me", { type: "query", token })).status).toBe(200);
    let revoked: number | undefined = undefined;
    const load = hammer(token, 16, () => revoked);
    await untilCalls(load.outcomes, 50);
    writeFromChildProcess(server.databaseUrl, `UPDATE "Session" SET "revokedAt" = ? WHERE "userId" = ?`, [
      new Date().toISOString().replace("Z", "+00:00"),
      user.id,
    ]);
    revoked = Date.now();
    await untilCalls(load.outcomes, load.outcomes.length + 100);
    await load.stop();
    expectRefusedAfterEnd(load.outcomes, "REVOKED");
  });

  it("a profile change by another process shows on the very next call", async () => {
    const { token, user } = await loginAs(server, "fresh-child-profile");
    for (let index = 0; index < 5; index++)
      expect((await call(server.url, "user.me", { type: "query", token })).status).toBe(200);
    writeFromChildProcess(server.databaseUrl, `UPDATE "User" SET "nickname" = ? WHERE "id" = ?`, [
      "改过的名字",
      user.id,
    ]);
    const me = await call<{ nickname: string }>(server.url, "user.me", { type: "query", token });
    expect(me.data?.nickname).toBe("改过的名字");
  });
});

/** Runs one statement in a separate node process on the same file: another connection, another process. */
function writeFromChildProcess(databaseUrl: string, sql: string, args: string[]) {
  // better-sqlite3 is a dependency of @mp-auth/db: resolve it from there.
  const driver = createRequire(import.meta.resolve("@mp-auth/db")).resolve("better-sqlite3");
  const script = `const Database = require(${JSON.stringify(driver)});
const db = new Database(${JSON.stringify(databaseFilePath(databaseUrl))});
const changed = db.prepare(${JSON.stringify(sql)}).run(...${JSON.stringify(args)}).changes;
db.close();
if (changed < 1) { console.error("nothing changed"); process.exit(1); }`;
  execFileSync(process.execPath, ["-e", script], { stdio: ["ignore", "ignore", "inherit"] });
}
