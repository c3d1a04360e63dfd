import { describe, expect, it } from "vitest";
import { avatarInitial, describeDevice, displayNickname, formatDateTime } from "../src/services/format";

describe("format helpers", () => {
  it("falls back to WeChat's default nickname", () => {
    expect(displayNickname(null)).toBe("微信用户");
    expect(displayNickname("  ")).toBe("微信用户");
    expect(displayNickname(" 小明 ")).toBe("小明");
    expect(avatarInitial(null)).toBe("微");
    expect(avatarInitial("😀小明")).toBe("😀");
  });

  it("formats ISO timestamps in local time and keeps junk as is", () => {
    const iso = new Date(2025, 2, 1, 14, 5).toISOString();
    expect(formatDateTime(iso)).toBe("2025-03-01 14:05");
    expect(formatDateTime("not a date")).toBe("not a date");
  });

  it("names devices from their User-Agent", () => {
    expect(describeDevice(null)).toBe("未知设备");
    expect(describeDevice("Mozilla/5.0 (iPhone) MicroMessenger/8.0 miniProgram")).toBe("微信小程序（iOS）");
    expect(describeDevice("Mozilla/5.0 (Linux; Android 14) MicroMessenger/8.0")).toBe("微信小程序（Android）");
    expect(describeDevice("Mozilla/5.0 HeadlessChrome/120.0")).toBe("浏览器");
    expect(describeDevice("node")).toBe("其他客户端");
  });
});
