import { describe, expect, it } from "vitest";
import { toPublicUserJson, type PublicUser } from "../src/services/users.ts";

const user = (nickname: string): PublicUser => ({
  id: "u1",
  appid: "wx-app",
  nickname,
  avatarUrl: null,
  phoneNumber: null,
  createdAt: new Date("2026-01-02T03:04:05.678Z"),
  lastLoginAt: new Date("2026-11-30T00:00:00.000Z"),
});

describe("toPublicUserJson", () => {
  it("answers the public fields, timestamps as ISO-8601, and never the appid", () => {
    expect(toPublicUserJson(user("小明"))).toStrictEqual({
      id: "u1",
      nickname: "小明",
      avatarUrl: null,
      phoneNumber: null,
      createdAt: "2026-01-02T03:04:05.678Z",
      lastLoginAt: "2026-11-30T00:00:00.000Z",
    });
  });

  it("makes each user object's JSON once, frozen, so no caller can change what the next one sends", () => {
    const cached = user("小明");
    const first = toPublicUserJson(cached);
    expect(toPublicUserJson(cached)).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(() => Object.assign(first, { nickname: "改" })).toThrow(TypeError);
    expect(toPublicUserJson(cached).nickname).toBe("小明");
  });

  it("a user read again (a new object) gets its own JSON", () => {
    expect(toPublicUserJson(user("阿花")).nickname).toBe("阿花");
    expect(toPublicUserJson(user("阿花"))).not.toBe(toPublicUserJson(user("阿花")));
  });
});
