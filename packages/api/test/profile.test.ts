import { nicknameProblem } from "@mp-auth/contract";
import { mintLoginCode } from "@mp-auth/wechat/mock";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { attempt, startApiHarness, type ApiHarness, apiTestEngines } from "./api-harness.ts";

describe.each(await apiTestEngines())("on %s", (engine) => {
  let api: ApiHarness;
  let token: string;
  beforeAll(async () => {
    api = await startApiHarness({ engine });
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
      const error = await refusal(api.caller(token).user.updateProfile(input));
      expect(error.code).toBe("BAD_REQUEST");
      expect(error.message + JSON.stringify((error.cause as { issues?: unknown })?.issues ?? "")).toMatch(message);
      expect(await api.caller(token).user.me()).toEqual(before);
    });

    it("needs a session", async () => {
      const error = await refusal(api.caller().user.updateProfile({ nickname: "x" }));
      expect(error.code).toBe("UNAUTHORIZED");
    });
  });

  describe("validation errors are machine-readable (error.data.issues, named by the contract's rules)", () => {
    it.each([
      [{ nickname: "长".repeat(21) }, "nickname", "too_long"],
      [{ nickname: "" }, "nickname", "too_small"],
      [{ nickname: "a\tb" }, "nickname", "control_characters"],
      [{ nickname: "a\u202eb" }, "nickname", "control_characters"],
      [{ nickname: "\u3164\u3164" }, "nickname", "invisible"],
      [{ nickname: "\ud83d" }, "nickname", "broken_emoji"],
      [{ nickname: 7 }, "nickname", "invalid_type"],
      [{ avatarUrl: "wxfile://tmp_1.png" }, "avatarUrl", "temporary_path"],
    ])("%j -> %s / %s", async (input, path, code) => {
      const result = await attempt(api.caller(token).user.updateProfile(input as never));
      expect(result.status).toBe(400);
      expect(result.error!.data).toMatchObject({ code: "BAD_REQUEST", reason: "INVALID_INPUT", action: "show" });
      expect(result.error!.data.issues?.[0]).toMatchObject({ path, code });
      expect(result.error!.data.issues?.[0]?.message.length).toBeGreaterThan(0);
    });

    it("agrees with the contract's nicknameProblem on every sample", async () => {
      for (const nickname of ["小明", "  ok  ", "👨‍👩‍👧".repeat(20), "a\u200db", "x".repeat(21), "\u3164"]) {
        const result = await attempt(api.caller(token).user.updateProfile({ nickname }));
        expect(result.error?.data.issues?.[0]?.code).toBe(nicknameProblem(nickname));
      }
    });

    it("names the field of auth.login too", async () => {
      const result = await attempt(api.caller().auth.login({ code: "" }));
      expect(result.error!.data.issues).toEqual([expect.objectContaining({ path: "code", code: "too_small" })]);
    });
  });
});
