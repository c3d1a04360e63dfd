import { mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { miniappRoot } from "../scripts/taro-build";
import { launchChromium } from "./helpers/browser";
import { resolveChromium, systemChromiumCandidates } from "./helpers/chromium-executable";

/**
 * Each way of finding Chromium launches a real browser that draws Chinese. This machine kind has
 * no system Chromium: the npm one stands in for CHROMIUM_PATH and for "installed on the system".
 */

const ARTIFACTS_DIR = path.join(miniappRoot, "test-artifacts", "e2e");
const userDataDirs: string[] = [];

beforeAll(() => {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
});

afterAll(() => {
  for (const dir of userDataDirs) rmSync(dir, { recursive: true, force: true });
});

/** Two different characters drawn as the same .notdef box give identical pixels. */
async function glyphPixels(page: Page, text: string): Promise<Buffer> {
  await page.setContent(`<span id="glyph" style="font: 40px sans-serif">${text}</span>`);
  return page.locator("#glyph").screenshot();
}

async function expectChineseDrawn(options: Parameters<typeof launchChromium>[0], screenshotName: string) {
  const { context, userDataDir, chromium } = await launchChromium(options);
  userDataDirs.push(userDataDir);
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    const [login, record] = [await glyphPixels(page, "登"), await glyphPixels(page, "录")];
    expect(login.equals(record), "two different Chinese characters drew the same box: no CJK font").toBe(false);
    await page.setContent('<p style="font: 24px sans-serif">登录成功 · 我的会话 · <b>手机号已绑定</b></p>');
    await page.locator("p").screenshot({ path: path.join(ARTIFACTS_DIR, `${screenshotName}.png`) });
    return chromium;
  } finally {
    await context.close();
  }
}

describe("Chromium sources", () => {
  it("unpacks the npm Chromium once and draws Chinese with it", async () => {
    const first = await resolveChromium({ only: "npm" });
    const again = await resolveChromium({ only: "npm" });
    expect(again.executablePath).toBe(first.executablePath);
    const used = await expectChineseDrawn({ only: "npm" }, "chromium-npm");
    expect(used).toEqual({ source: "npm", executablePath: first.executablePath });
  });

  it("prefers CHROMIUM_PATH over every other source", async () => {
    const npm = await resolveChromium({ only: "npm" });
    const env = { ...process.env, CHROMIUM_PATH: npm.executablePath };
    const used = await expectChineseDrawn({ env, systemCandidates: ["/bin/sh"] }, "chromium-env");
    expect(used).toEqual({ source: "CHROMIUM_PATH", executablePath: npm.executablePath });
  });

  it("prefers a system Chromium over the npm one", async () => {
    const npm = await resolveChromium({ only: "npm" });
    const env = { ...process.env, CHROMIUM_PATH: "" };
    const systemCandidates = [path.join(miniappRoot, "no-such-chromium"), npm.executablePath];
    const used = await expectChineseDrawn({ env, systemCandidates }, "chromium-system");
    expect(used).toEqual({ source: "system", executablePath: npm.executablePath });
  });

  it("never falls back when CHROMIUM_PATH names a missing file", async () => {
    const env = { CHROMIUM_PATH: "/nonexistent/chromium" };
    await expect(resolveChromium({ env })).rejects.toThrow(/CHROMIUM_PATH is set to \/nonexistent\/chromium/);
  });

  it("tells macOS and Windows users what to install when no browser is found", async () => {
    await expect(resolveChromium({ env: {}, platform: "darwin", arch: "arm64", systemCandidates: [] })).rejects.toThrow(
      /install Google Chrome, Chromium or Edge, or set CHROMIUM_PATH/,
    );
    expect(systemChromiumCandidates("win32", { PROGRAMFILES: "C:\\Program Files" })).toContain(
      "C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe",
    );
  });
});
