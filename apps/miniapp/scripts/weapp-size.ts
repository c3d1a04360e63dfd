import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

/** WeChat refuses to upload a main package above 2 MB (2048 KB). */
export const WECHAT_MAIN_PACKAGE_LIMIT_BYTES = 2 * 1024 * 1024;
/** This project's own budget for the main package. */
export const MAIN_PACKAGE_BUDGET_BYTES = 400 * 1024;
/** This project's budget for the weapp's JavaScript (checked by test/weapp-build.test.ts). */
export const JS_BUDGET_BYTES = 400 * 1024;

/** Files in the dist folder that DevTools reads but does not upload as code. */
const NOT_UPLOADED = new Set(["project.config.json", "project.private.config.json"]);

export interface WeappSize {
  totalBytes: number;
  /** The JavaScript of the whole build (what the 400 KB JS budget is about). */
  jsBytes: number;
  /** JavaScript per file, for figures like the hooks chunk (config/index.ts, HOOKS_CHUNK). */
  jsFileBytes: Record<string, number>;
  mainPackageBytes: number;
  subpackageBytes: Record<string, number>;
  /** The largest files of the main package, biggest first. */
  largestFiles: { file: string; bytes: number }[];
}

export function measureWeapp(distDir: string): WeappSize {
  const appJson = JSON.parse(readFileSync(path.join(distDir, "app.json"), "utf8")) as {
    subPackages?: { root: string }[];
    subpackages?: { root: string }[];
  };
  const subpackageRoots = (appJson.subPackages ?? appJson.subpackages ?? []).map((entry) =>
    entry.root.replace(/^\/+|\/+$/g, ""),
  );
  const subpackageBytes: Record<string, number> = Object.fromEntries(subpackageRoots.map((root) => [root, 0]));
  const mainFiles: { file: string; bytes: number }[] = [];
  const jsFileBytes: Record<string, number> = {};
  let totalBytes = 0;

  for (const file of listFiles(distDir)) {
    if (NOT_UPLOADED.has(file) || file.endsWith(".map")) continue;
    const bytes = statSync(path.join(distDir, file)).size;
    totalBytes += bytes;
    if (file.endsWith(".js")) jsFileBytes[file] = bytes;
    const root = subpackageRoots.find((candidate) => file.startsWith(`${candidate}/`));
    if (root === undefined) mainFiles.push({ file, bytes });
    else subpackageBytes[root] = (subpackageBytes[root] ?? 0) + bytes;
  }

  mainFiles.sort((a, b) => b.bytes - a.bytes);
  return {
    totalBytes,
    jsBytes: Object.values(jsFileBytes).reduce((sum, bytes) => sum + bytes, 0),
    jsFileBytes,
    mainPackageBytes: mainFiles.reduce((sum, entry) => sum + entry.bytes, 0),
    subpackageBytes,
    largestFiles: mainFiles.slice(0, 8),
  };
}

/** Every file below `dir`, as paths relative to it with "/" separators. */
export function listFiles(dir: string, prefix = ""): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(path.join(dir, prefix), { withFileTypes: true })) {
    const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) files.push(...listFiles(dir, relative));
    else files.push(relative);
  }
  return files;
}

export function formatKb(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KB`;
}
