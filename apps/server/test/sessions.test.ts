import { createDatabase } from "@mp-auth/db";
import { mintLoginCode } from "@mp-auth/wechat/mock";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, loginAs, startTestServer, type LoginResult, type TestServer, serverTestEngines } from "./harness.ts";

describe.each(await serverTestEngines())("on %s", (engine) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({}, { engine });
  });
  afterAll(async () => server?.close());

  const login = (openid?: string) => loginAs(server, openid);

  async function expectRefused(options: { token?: string; authorization?: string }, reason: string) {
    const result = await call(server.url, "user.me", { type: "query", ...options });
    expect(result.status).toBe(401);
    expect(result.error!.data).toMatchObject({ code: "UNAUTHORIZED", reason });
    return result;
  }

  describe("protected procedures refuse bad sessions with a reason", () => {
    it("no token", async () => {
      await expectRefused({}, "NO_TOKEN");
    });

    it("garbage token", async () => {
      await expectRefused({ token: "not-a-token" }, "MALFORMED_TOKEN");
      await expectRefused({ authorization: "Basic dXNlcjpwYXNz" }, "MALFORMED_TOKEN");
      await expectRefused({ authorization: "Bearer" }, "MALFORMED_TOKEN");
    });

    it("tampered token", async () => {
      const { token } = await login();
      const last = token.at(-1) === "A" ? "B" : "A";
      await expectRefused({ token: token.slice(0, -1) + last }, "UNKNOWN_TOKEN");
    });

    it("expired token", async () => {
      const { token, user } = await login();
      const db = await createDatabase(server.databaseUrl);
      try {
        await db.session.updateMany({ where: { userId: user.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
      } finally {
        await db.$disconnect();
      }
      await expectRefused({ token }, "EXPIRED");
    });

    it("revoked token (after logout)", async () => {
      const { token } = await login();
      const logout = await call(server.url, "auth.logout", { token });
      expect(logout.status).toBe(200);
      await expectRefused({ token }, "REVOKED");
      // Logging out twice is refused the same way, not a 500.
      const again = await call(server.url, "auth.logout", { token });
      expect(again.error!.data.reason).toBe("REVOKED");
    });
  });

  describe("sessions", () => {
    it("logout leaves the user's other sessions alive", async () => {
      const openid = "o_logout_keeps_others_00000001";
      const phone = await login(openid);
      const tablet = await login(openid);
      await call(server.url, "auth.logout", { token: phone.token });
      await expectRefused({ token: phone.token }, "REVOKED");
      const me = await call<{ id: string }>(server.url, "user.me", { type: "query", token: tablet.token });
      expect(me.data!.id).toBe(tablet.user.id);
    });

    it("lists the caller's devices, revokes another one, and logs out everywhere", async () => {
      const openid = "o_sessions_page_0000000000001";
      const first = await login(openid);
      const second = await login(openid);
      const stranger = await login();

      const list = await call<{ id: string; current: boolean }[]>(server.url, "auth.sessions", {
        type: "query",
        token: first.token,
      });
      expect(list.data).toHaveLength(2);
      const other = list.data!.find((s) => !s.current)!;
      expect(list.data!.filter((s) => s.current)).toHaveLength(1);
      expect(list.raw).not.toMatch(/tokenHash|token/);

      // Another user's session id is not revocable (and not revealed).
      const strangers = await call<{ id: string }[]>(server.url, "auth.sessions", {
        type: "query",
        token: stranger.token,
      });
      const foreign = await call(server.url, "auth.revoke", {
        token: first.token,
        input: { id: strangers.data![0]!.id },
      });
      expect(foreign.error!.data).toMatchObject({ code: "NOT_FOUND" });
      await call(server.url, "user.me", { type: "query", token: stranger.token }).then((r) =>
        expect(r.status).toBe(200),
      );

      const revoked = await call(server.url, "auth.revoke", { token: first.token, input: { id: other.id } });
      expect(revoked.status).toBe(200);
      await expectRefused({ token: second.token }, "REVOKED");

      const third = await login(openid);
      const all = await call<{ revoked: number }>(server.url, "auth.logoutAll", { token: third.token });
      expect(all.data!.revoked).toBe(2);
      await expectRefused({ token: first.token }, "REVOKED");
      await expectRefused({ token: third.token }, "REVOKED");
    });

    it("sessions survive a server restart", async () => {
      const restartable = await startTestServer({}, { engine });
      const { code } = await mintLoginCode(restartable.mockWechatUrl, {});
      const { data } = await call<LoginResult>(restartable.url, "auth.login", { input: { code } });
      await restartable.close();

      const restarted = await startTestServer({ DATABASE_URL: restartable.databaseUrl }, { engine });
      try {
        const me = await call<{ id: string }>(restarted.url, "user.me", { type: "query", token: data!.token });
        expect(me.status).toBe(200);
        expect(me.data!.id).toBe(data!.user.id);
      } finally {
        await restarted.close();
      }
    });
  });

  describe("logs", () => {
    it("never contain a token, a code, the WeChat secret or a session_key", async () => {
      const { code } = await mintLoginCode(server.mockWechatUrl, {});
      const { data } = await call<LoginResult>(server.url, "auth.login", { input: { code } });
      await call(server.url, "user.me", { type: "query", token: data!.token });
      await call(server.url, "auth.login", { input: { code: "0".repeat(32) } }); // unknown: a logged refusal
      const { MOCK_DEFAULT_SECRET } = await import("@mp-auth/wechat/mock");
      const logs = server.logs.text;
      expect(logs).toContain("user logged in");
      expect(logs).not.toContain(data!.token);
      expect(logs).toContain("code2Session refused");
      expect(logs).not.toContain(code);
      expect(logs).not.toContain("0".repeat(32));
      expect(logs).not.toContain(MOCK_DEFAULT_SECRET);
      expect(logs).not.toMatch(/session_?key"\s*:\s*"[A-Za-z0-9+/]{22}==/i);
    });
  });
});
