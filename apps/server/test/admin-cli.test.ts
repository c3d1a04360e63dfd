import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createDatabase } from "@mp-auth/db";
import { MOCK_DEFAULT_APPID, mintLoginCode, mintPhoneCode } from "@mp-auth/wechat/mock";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, startTestServer, TEST_ENCRYPTION_KEY, type LoginResult, type TestServer } from "./harness.ts";

const serverDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const repoDir = path.resolve(serverDir, "../..");

interface CliRun {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** The CLI as an operator runs it: its own process, the environment the server reads. */
function runCli(args: string[], env: Record<string, string>, via: "entry" | "pnpm" = "entry"): Promise<CliRun> {
  const [command, commandArgs, cwd] =
    via === "entry"
      ? [process.execPath, ["--import", "tsx", "src/admin/main.ts", ...args], serverDir]
      : ["pnpm", ["-s", "admin", ...args], repoDir];
  return new Promise((resolve) => {
    execFile(
      command,
      commandArgs,
      {
        cwd,
        env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", NODE_ENV: "test", ...env },
        timeout: 60_000,
      },
      (error, stdout, stderr) => {
        const exitCode = error ? (typeof error.code === "number" ? error.code : -1) : 0;
        resolve({ exitCode, stdout, stderr });
      },
    );
  });
}

// Every command is a process of its own (node + tsx + Prisma's start): seconds each on a loaded machine.
describe("pnpm admin, against a real SQLite file and a running server", { timeout: 240_000 }, () => {
  let server: TestServer;
  let env: Record<string, string>;
  let alice: LoginResult & { openid: string };
  let aliceTablet: LoginResult;
  const unionid = "u_admin_cli_shared_000000001";

  beforeAll(async () => {
    server = await startTestServer();
    env = { DATABASE_URL: server.databaseUrl, SESSION_KEY_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY };
    const openid = "o_admin_cli_alice_00000000001";
    const login = async () => {
      const { code } = await mintLoginCode(server.mockWechatUrl, { openid, unionid });
      return (await call<LoginResult>(server.url, "auth.login", { input: { code } })).data!;
    };
    alice = { ...(await login()), openid };
    aliceTablet = await login();
    const phone = await mintPhoneCode(server.mockWechatUrl, { openid, phoneNumber: "13800138123" });
    const bound = await call(server.url, "user.bindPhone", { token: alice.token, input: { code: phone.code } });
    expect(bound.status).toBe(200);
    // The same person in another mini-program of the same Open Platform account.
    const db = await createDatabase(server.databaseUrl);
    try {
      await db.user.create({ data: { appid: "wxotherapp00000001", openid: "o_other_app_alice_000000001", unionid } });
    } finally {
      await db.$disconnect();
    }
  });
  afterAll(async () => server?.close());

  it("finds a user by id, openid and phone, in human form", async () => {
    const runs = await Promise.all(
      [
        ["id", alice.user.id],
        ["openid", alice.openid],
        ["phone", "13800138123"],
      ].map(([by, value]) => runCli(["find", by!, value!], env)),
    );
    for (const run of runs) {
      expect(run.exitCode, run.stderr).toBe(0);
      expect(run.stdout).toContain(`User ${alice.user.id}`);
      expect(run.stdout).toMatch(new RegExp(`openid +${alice.openid}`));
      expect(run.stdout).toMatch(/phone +13800138123/);
    }
  });

  it("finds every app's user of a unionid, as JSON", async () => {
    const run = await runCli(["--json", "find", "unionid", unionid], env);
    expect(run.exitCode, run.stderr).toBe(0);
    const { users } = JSON.parse(run.stdout) as { users: { id: string; appid: string; unionid: string }[] };
    expect(users.map((user) => user.appid).sort()).toEqual([MOCK_DEFAULT_APPID, "wxotherapp00000001"].sort());
    expect(users.every((user) => user.unionid === unionid)).toBe(true);
    const human = await runCli(["find", "unionid", unionid], env);
    expect(human.exitCode, human.stderr).toBe(0);
    expect(human.stdout).toContain("2 users of different apps share this unionid");
  });

  it("lists sessions and recent logins, and revokes a session the running server then refuses", async () => {
    const sessions = await runCli(["--json", "sessions", alice.user.id], env);
    expect(sessions.exitCode, sessions.stderr).toBe(0);
    const listed = JSON.parse(sessions.stdout) as { sessions: { id: string; state: string; clientIp: string }[] };
    expect(listed.sessions).toHaveLength(2);
    expect(listed.sessions.every((session) => session.state === "live" && session.clientIp === "127.0.0.1")).toBe(true);
    expect(sessions.stdout).not.toMatch(/tokenHash|sessionKey/);

    const logins = await runCli(["--json", "logins", alice.user.id, "--limit", "5"], env);
    expect(logins.exitCode, logins.stderr).toBe(0);
    const history = JSON.parse(logins.stdout) as { logins: { result: string; clientIp: string; appid: string }[] };
    expect(history.logins.map((login) => [login.result, login.clientIp, login.appid])).toEqual([
      ["success", "127.0.0.1", MOCK_DEFAULT_APPID],
      ["success", "127.0.0.1", MOCK_DEFAULT_APPID],
    ]);
    const humanLogins = await runCli(["logins", alice.user.id], env);
    expect(humanLogins.stdout.split("\n")[0]).toMatch(/^TIME +RESULT +REASON +APPID +IP +USER AGENT$/);

    // The tablet's session id, as the tablet's own device list names it.
    const own = await call<{ id: string; current: boolean }[]>(server.url, "auth.sessions", {
      type: "query",
      token: aliceTablet.token,
    });
    const tabletSessionId = own.data!.find((session) => session.current)!.id;
    expect(listed.sessions.map((session) => session.id)).toContain(tabletSessionId);

    const revoke = await runCli(["revoke-session", tabletSessionId], env);
    expect(revoke.exitCode, revoke.stderr).toBe(0);
    expect(revoke.stdout).toBe(`Session ${tabletSessionId} of user ${alice.user.id} revoked.\n`);
    const refused = await call(server.url, "user.me", { type: "query", token: aliceTablet.token });
    expect(refused.error?.data.reason).toBe("REVOKED");
    await expect(call(server.url, "user.me", { type: "query", token: alice.token })).resolves.toMatchObject({
      status: 200,
    });

    const again = await runCli(["--json", "revoke-session", tabletSessionId], env);
    expect(again.exitCode).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual({
      sessionId: tabletSessionId,
      outcome: "already-ended",
      userId: alice.user.id,
      state: "revoked",
    });
  });

  it("exits 1 with a clear message for an unknown user or session", async () => {
    const [unknownUser, unknownJson, unknownSession] = await Promise.all([
      runCli(["sessions", "no-such-user"], env),
      runCli(["--json", "find", "openid", "o_nobody"], env),
      runCli(["revoke-session", "no-such-session"], env),
    ]);
    expect(unknownUser).toMatchObject({ exitCode: 1, stdout: "", stderr: "No user with id no-such-user.\n" });
    expect(unknownJson.exitCode).toBe(1);
    expect(unknownJson.stdout).toBe("");
    expect(JSON.parse(unknownJson.stderr)).toEqual({
      error: { message: "No user with openid o_nobody.", exitCode: 1 },
    });
    expect(unknownSession).toMatchObject({ exitCode: 1, stderr: "No session with id no-such-session.\n" });
  });

  it("exits 2 on bad usage, and 1 on a bad setting, naming the problem", async () => {
    const [badKind, unknownCommand, badLimit, badSetting] = await Promise.all([
      runCli(["find", "email", "a@example.com"], env),
      runCli(["frobnicate"], env),
      runCli(["logins", alice.user.id, "--limit", "9999"], env),
      runCli(["find", "id", "x"], { ...env, DATABASE_URL: "sqlserver://db" }),
    ]);
    expect(badKind.exitCode).toBe(2);
    expect(badKind.stderr).toContain("Allowed choices are id, openid, unionid, phone");
    expect(unknownCommand.exitCode).toBe(2);
    expect(unknownCommand.stderr).toContain("unknown command 'frobnicate'");
    expect(badLimit.exitCode).toBe(2);
    expect(badLimit.stderr).toContain("must be a whole number from 1 to 500");
    expect(badSetting.exitCode).toBe(1);
    expect(badSetting.stderr).toContain("DATABASE_URL");
  });

  it("bans (ending the user's sessions on the running server), unbans and deletes", async () => {
    const openid = "o_admin_cli_bob_0000000000001";
    const { code } = await mintLoginCode(server.mockWechatUrl, { openid });
    const bob = (await call<LoginResult>(server.url, "auth.login", { input: { code } })).data!;

    const [pastBan, unconfirmed] = await Promise.all([
      runCli(["ban", bob.user.id, "--reason", "spam", "--until", "2000-01-01T00:00:00Z"], env),
      runCli(["delete", bob.user.id], env),
    ]);
    expect(pastBan.exitCode).toBe(2);
    expect(pastBan.stderr).toContain("until must be in the future");
    expect(unconfirmed.exitCode).toBe(2);
    expect(unconfirmed.stderr).toContain("add --yes to confirm");

    const ban = await runCli(["ban", bob.user.id, "--reason", "spam reports #12"], env);
    expect(ban.exitCode, ban.stderr).toBe(0);
    expect(ban.stdout).toBe(`User ${bob.user.id} banned until lifted: spam reports #12; 1 session(s) ended.\n`);
    const refused = await call(server.url, "user.me", { type: "query", token: bob.token });
    expect(refused.error?.data.reason).toBe("ACCOUNT_BANNED");
    const found = await runCli(["find", "id", bob.user.id], env);
    expect(found.stdout).toMatch(/status +banned until lifted: spam reports #12/);

    const unban = await runCli(["--json", "unban", bob.user.id], env);
    expect(unban.exitCode, unban.stderr).toBe(0);
    expect(JSON.parse(unban.stdout)).toMatchObject({ userId: bob.user.id, state: "active", ban: null });

    const deleted = await runCli(["delete", bob.user.id, "--yes"], env);
    expect(deleted.exitCode, deleted.stderr).toBe(0);
    expect(deleted.stdout).toBe(`User ${bob.user.id} deleted; 1 session(s) ended.\n`);
    const [afterDelete, byOpenid] = await Promise.all([
      runCli(["--json", "find", "id", bob.user.id], env),
      runCli(["find", "openid", openid], env),
    ]);
    expect(JSON.parse(afterDelete.stdout)).toMatchObject({
      users: [{ id: bob.user.id, openid: `deleted:${bob.user.id}`, status: { state: "deleted" } }],
    });
    expect(byOpenid.exitCode).toBe(1);
  });

  it("runs as `pnpm -s admin` from the repository root", async () => {
    const run = await runCli(["--json", "find", "id", alice.user.id], env, "pnpm");
    expect(run.exitCode, run.stderr).toBe(0);
    expect((JSON.parse(run.stdout) as { users: { id: string }[] }).users[0]!.id).toBe(alice.user.id);
  });
});
