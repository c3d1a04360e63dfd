import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, loginAs, startTestServer, type TestServer, serverTestEngines } from "./harness.ts";

describe.each(await serverTestEngines())("on %s", (engine) => {
  let server: TestServer;
  let token: string;
  beforeAll(async () => {
    server = await startTestServer({}, { engine });
    ({ token } = await loginAs(server));
  });
  afterAll(async () => server?.close());

  // The nickname and avatar rules are tested at the api (packages/api/test/profile.test.ts); here,
  // what only HTTP shows: the JSON on the wire.
  describe("user.updateProfile over HTTP", () => {
    it("saves a CJK + emoji nickname and returns ISO timestamps", async () => {
      const result = await call<{ nickname: string; createdAt: string }>(server.url, "user.updateProfile", {
        token,
        input: { nickname: "测试用户🐼" },
      });
      expect(result.data!.nickname).toBe("测试用户🐼");
      expect(result.data!.createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    });

    it("sends input issues on the wire, in error.data.issues", async () => {
      const result = await call(server.url, "user.updateProfile", { token, input: { nickname: "a\tb" } });
      expect(result.status).toBe(400);
      expect(result.error!.data.issues).toEqual([
        expect.objectContaining({ path: "nickname", code: "control_characters" }),
      ]);
    });

    it.each([
      ["zero-width characters only", "\u200b\u200c\u200d"],
      ["a right-to-left override (U+202E)", "abc\u202Egpj.exe"],
    ])("refuses a nickname of %s, and keeps the stored one", async (_what, nickname) => {
      await call(server.url, "user.updateProfile", { token, input: { nickname: "原来的名字" } });
      const result = await call(server.url, "user.updateProfile", { token, input: { nickname } });
      expect(result.status).toBe(400);
      expect(result.error!.data).toMatchObject({ reason: "INVALID_INPUT", action: "show" });
      expect(result.error!.data.issues![0]).toMatchObject({ path: "nickname" });
      const me = await call<{ nickname: string }>(server.url, "user.me", { type: "query", token });
      expect(me.data!.nickname).toBe("原来的名字");
    });
  });
});
