import { existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import path from "node:path";
import { miniappRoot } from "../../scripts/taro-build";

/**
 * Where the browser test keeps what it unpacks (the npm Chromium, the CJK font converted for
 * fontconfig). Under node_modules/.cache, like other tools' caches: git ignores it, and a clean
 * `pnpm install` starts it over.
 */
export const BROWSER_CACHE_DIR = path.join(miniappRoot, "node_modules", ".cache", "mp-auth-e2e");

/**
 * Returns `<BROWSER_CACHE_DIR>/<name>`, filling it once with `fill(stagingDir)`. The folder is
 * filled under a temporary name and renamed into place when complete, so an interrupted run
 * never leaves a half-written folder that a later run would trust.
 */
export async function cachedDir(name: string, fill: (stagingDir: string) => Promise<void>): Promise<string> {
  const finalDir = path.join(BROWSER_CACHE_DIR, name);
  if (existsSync(finalDir)) return finalDir;
  const stagingDir = path.join(BROWSER_CACHE_DIR, `.${name}.${process.pid}.${Date.now()}`);
  mkdirSync(stagingDir, { recursive: true });
  try {
    await fill(stagingDir);
    try {
      renameSync(stagingDir, finalDir);
    } catch (error) {
      // Another run filled it at the same time: use theirs.
      if (!existsSync(finalDir)) throw error;
    }
  } finally {
    rmSync(stagingDir, { recursive: true, force: true });
  }
  return finalDir;
}
