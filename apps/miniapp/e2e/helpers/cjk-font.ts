import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { cachedDir } from "./browser-cache";

/**
 * The UI is Chinese, and a bare Linux has no CJK font: screenshots would show boxes. The test
 * browser gets Noto Sans SC (SIL OFL, from the npm registry) through fontconfig, on top of the
 * system's own fonts, so every page and every CSS font stack can fall back to it, as to any
 * installed font.
 *
 * The package ships WOFF2 (web fonts), which fontconfig lists but Chromium's own FreeType cannot
 * draw; they are converted once to TrueType (wawoff2, Google's decoder) into the cache.
 */
const FONT_PACKAGE = "@fontsource-variable/noto-sans-sc";

export interface CjkFontConfig {
  /** Pass as FONTCONFIG_FILE to the browser. */
  fontconfigFile: string;
  fontDir: string;
}

export async function prepareCjkFontConfig(): Promise<CjkFontConfig> {
  const require = createRequire(import.meta.url);
  const packageJsonPath = require.resolve(`${FONT_PACKAGE}/package.json`);
  const { version } = JSON.parse(readFileSync(packageJsonPath, "utf8")) as { version: string };
  const woff2Dir = path.join(path.dirname(packageJsonPath), "files");
  const { decompress } = require("wawoff2") as { decompress: (woff2: Uint8Array) => Promise<Uint8Array> };

  const dir = await cachedDir(`fonts-noto-sans-sc-${version}`, async (stagingDir) => {
    const ttfDir = path.join(stagingDir, "ttf");
    mkdirSync(ttfDir);
    // ~100 unicode-range slices of one variable font (all weights); ~0.3 s in all.
    for (const file of readdirSync(woff2Dir).filter((name) => name.endsWith(".woff2"))) {
      const ttf = await decompress(readFileSync(path.join(woff2Dir, file)));
      writeFileSync(path.join(ttfDir, file.replace(/\.woff2$/, ".ttf")), ttf);
    }
  });
  // Written here rather than while filling: it names the folder's final path (after the rename).
  const fontconfigFile = path.join(dir, "fonts.conf");
  const config = fontsConf(dir);
  if (!existsSync(fontconfigFile) || readFileSync(fontconfigFile, "utf8") !== config)
    writeFileSync(fontconfigFile, config);
  return { fontconfigFile, fontDir: path.join(dir, "ttf") };
}

function fontsConf(dir: string): string {
  return `<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<!-- Written by the browser test (apps/miniapp/e2e/helpers/cjk-font.ts): the system's fonts plus Noto Sans SC. -->
<fontconfig>
  <cachedir>${escapeXml(path.join(dir, "fontconfig-cache"))}</cachedir>
  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>
  <dir>${escapeXml(path.join(dir, "ttf"))}</dir>
</fontconfig>
`;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
