import { describe, expect, it } from "vitest";
import { describeLoginAttempt, describeNetwork } from "../src/services/login-history";

describe("login history wording", () => {
  it("words each result, with the reason when the history can show one", () => {
    expect(describeLoginAttempt({ result: "success", reason: null })).toBe("登录成功");
    expect(describeLoginAttempt({ result: "refused", reason: "LOGIN_RATE_LIMITED" })).toBe("登录被拒绝：登录太频繁");
    expect(describeLoginAttempt({ result: "refused", reason: "ACCOUNT_BANNED" })).toBe("登录被拒绝：账号已被封禁");
    expect(describeLoginAttempt({ result: "error", reason: "INTERNAL" })).toBe("登录失败：服务器异常");
    // A reason without words of its own shows the result alone, never the English code.
    expect(describeLoginAttempt({ result: "error", reason: "WX_BUSY" })).toBe("登录失败");
  });

  it("shows the network the server gives, or says it is unknown", () => {
    expect(describeNetwork("203.0.113.0/24")).toBe("网络：203.0.113.0/24");
    expect(describeNetwork(null)).toBe("网络：未知");
  });
});
