import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, loginAs, startTestServer, type TestServer } from "./harness.ts";

let server: TestServer;
let token: string;
beforeAll(async () => {
  server = await startTestServer();
  ({ token } = await loginAs(server));
});
afterAll(async () => server?.close());

describe("validation errors are machine-readable (error.data.issues)", () => {
  it.each([
    [{ nickname: "长".repeat(21) }, "nickname", "too_long"],
    [{ nickname: "" }, "nickname", "too_small"],
    [{ nickname: "a\tb" }, "nickname", "control_characters"],
    [{ nickname: 7 }, "nickname", "invalid_type"],
    [{ avatarUrl: "wxfile://tmp_1.png" }, "avatarUrl", "temporary_path"],
  ])("%j -> %s / %s", async (input, path, code) => {
    const result = await call(server.url, "user.updateProfile", { token, input });
    expect(result.status).toBe(400);
    const issues = (result.error!.data as { issues?: { path: string; code: string; message: string }[] }).issues;
    expect(issues?.[0]).toMatchObject({ path, code });
    expect(issues?.[0]?.message.length).toBeGreaterThan(0);
  });

  it("names the field of auth.login too", async () => {
    const result = await call(server.url, "auth.login", { input: { code: "" } });
    const issues = (result.error!.data as { issues?: { path: string; code: string }[] }).issues;
    expect(issues).toEqual([expect.objectContaining({ path: "code", code: "too_small" })]);
  });
});

describe("user.updateProfile over HTTP", () => {
  it("saves a CJK + emoji nickname and returns ISO timestamps", async () => {
    const result = await call<{ nickname: string; createdAt: string }>(server.url, "user.updateProfile", {
      token,
      input: { nickname: "测试用户🐼" },
    });
    expect(result.data!.nickname).toBe("测试用户🐼");
    expect(result.data!.createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  });
});
