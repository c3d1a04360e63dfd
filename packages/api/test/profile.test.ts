import { mintLoginCode } from "@mp-auth/wechat/mock";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApiHarness, type ApiHarness } from "./api-harness.ts";

let api: ApiHarness;
let token: string;
beforeAll(async () => {
  api = await startApiHarness();
  const { code } = await mintLoginCode(api.mock.url, {});
  token = (await api.caller().auth.login({ code })).token;
});
afterAll(async () => api?.close());

async function refusal(promise: Promise<unknown>): Promise<TRPCError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TRPCError);
  return error as TRPCError;
}

describe("user.updateProfile", () => {
  it("stores a CJK + emoji nickname and an https avatar, and user.me shows them", async () => {
    const nickname = "小明👨‍👩‍👧🎉";
    const avatarUrl = "https://cdn.example.com/avatars/a1.png";
    const updated = await api.caller(token).user.updateProfile({ nickname: `  ${nickname} `, avatarUrl });
    expect(updated).toMatchObject({ nickname, avatarUrl });
    expect(await api.caller(token).user.me()).toMatchObject({ nickname, avatarUrl });
  });

  it("changes only the fields given, and null removes the avatar", async () => {
    await api.caller(token).user.updateProfile({ nickname: "阿花" });
    expect(await api.caller(token).user.me()).toMatchObject({
      nickname: "阿花",
      avatarUrl: "https://cdn.example.com/avatars/a1.png",
    });
    await api.caller(token).user.updateProfile({ avatarUrl: null });
    expect(await api.caller(token).user.me()).toMatchObject({ nickname: "阿花", avatarUrl: null });
  });

  it("counts emoji as one character each: 20 family emoji fit, 21 do not", async () => {
    await expect(api.caller(token).user.updateProfile({ nickname: "👨‍👩‍👧".repeat(20) })).resolves.toBeTruthy();
    const error = await refusal(api.caller(token).user.updateProfile({ nickname: "👨‍👩‍👧".repeat(21) }));
    expect(error.code).toBe("BAD_REQUEST");
  });

  it.each([
    [{ nickname: "" }, /empty/],
    [{ nickname: "   " }, /empty/],
    [{ nickname: "a\nb" }, /control characters/],
    [{ nickname: "\ud83d" }, /broken emoji/],
    [{ avatarUrl: "wxfile://tmp_abc.jpg" }, /temporary file path/],
    [{ avatarUrl: "http://tmp/abc.jpg" }, /temporary file path/],
    [{ avatarUrl: "http://cdn.example.com/a.png" }, /https URL/],
    [{ avatarUrl: "ftp://cdn.example.com/a.png" }, /http\(s\) URL/],
    [{ avatarUrl: "javascript:alert(1)" }, /http\(s\) URL/],
    [{ avatarUrl: "https://user:pw@cdn.example.com/a.png" }, /credentials/],
    [{ avatarUrl: `https://cdn.example.com/${"a".repeat(1100)}` }, /too long/],
    [{}, /nickname and\/or avatarUrl/],
    [{ nickname: "ok", openid: "o_hijack" }, /unrecognized key|openid/i],
  ])("refuses %j", async (input, message) => {
    const before = await api.caller(token).user.me();
    const error = await refusal(api.caller(token).user.updateProfile(input as never));
    expect(error.code).toBe("BAD_REQUEST");
    expect(error.message + JSON.stringify((error.cause as { issues?: unknown })?.issues ?? "")).toMatch(message);
    expect(await api.caller(token).user.me()).toEqual(before);
  });

  it("needs a session", async () => {
    const error = await refusal(api.caller().user.updateProfile({ nickname: "x" }));
    expect(error.code).toBe("UNAUTHORIZED");
  });
});
