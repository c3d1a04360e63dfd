import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium, type BrowserContext } from "playwright-core";
import { resolveChromium, type ResolvedChromium, type ResolveChromiumOptions } from "./chromium-executable";
import { prepareCjkFontConfig } from "./cjk-font";

const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
];

export interface LaunchedChromium {
  context: BrowserContext;
  /** A fresh profile each run, so no storage survives from a previous run; the caller removes it. */
  userDataDir: string;
  chromium: ResolvedChromium;
}

/**
 * Launches headless Chromium (see chromium-executable.ts for which one) with a phone-sized page.
 * On Linux, fontconfig also gets the CJK font (cjk-font.ts); macOS and Windows draw Chinese with
 * their own fonts and ignore FONTCONFIG_FILE.
 */
export async function launchChromium(options: ResolveChromiumOptions = {}): Promise<LaunchedChromium> {
  const resolved = await resolveChromium(options);
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (process.platform === "linux") env.FONTCONFIG_FILE = (await prepareCjkFontConfig()).fontconfigFile;
  const userDataDir = mkdtempSync(path.join(tmpdir(), "mp-auth-e2e-chromium-"));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: resolved.executablePath,
    headless: true,
    args: CHROMIUM_FLAGS,
    env,
    // A phone-sized viewport: the page is designed for the mini-program's 375 px width.
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 2,
    locale: "zh-CN",
  });
  return { context, userDataDir, chromium: resolved };
}
