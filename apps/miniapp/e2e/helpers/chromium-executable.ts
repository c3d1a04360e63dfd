import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { cachedDir } from "./browser-cache";

/**
 * Which Chromium the browser test drives, in this order:
 * 1. `CHROMIUM_PATH`, when set (and then it must exist: an explicit choice never falls back);
 * 2. a Chrome / Chromium / Edge installed on the system, at its usual place;
 * 3. the Chromium that `@sparticuz/chromium` ships inside its npm package (Linux x64 only),
 *    unpacked once into node_modules/.cache. No browser is downloaded at run time.
 */
export type ChromiumSource = "CHROMIUM_PATH" | "system" | "npm";

export interface ResolvedChromium {
  executablePath: string;
  source: ChromiumSource;
}

type Env = Record<string, string | undefined>;

export interface ResolveChromiumOptions {
  /** Default: process.env. */
  env?: Env;
  /** Default: process.platform / process.arch. */
  platform?: NodeJS.Platform;
  arch?: string;
  /** Where to look for an installed browser. Default: the usual places for `platform`. */
  systemCandidates?: readonly string[];
  /** Use this source and no other (tests force each path with it). */
  only?: ChromiumSource;
}

const SPARTICUZ_PACKAGE = "@sparticuz/chromium";

export function systemChromiumCandidates(platform: NodeJS.Platform, env: Env): string[] {
  switch (platform) {
    case "linux":
      // Debian's chromium and Google's packages. Not Ubuntu's chromium-browser: it is a wrapper
      // around a snap whose private /tmp cannot see the test's profile folder.
      return ["/usr/bin/chromium", "/usr/bin/google-chrome-stable", "/usr/bin/google-chrome"];
    case "darwin":
      return [
        "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
        "/Applications/Chromium.app/Contents/MacOS/Chromium",
        "/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge",
      ];
    case "win32": {
      const roots = [env.PROGRAMFILES, env["PROGRAMFILES(X86)"], env.LOCALAPPDATA].filter((root): root is string =>
        Boolean(root),
      );
      return [
        ...roots.map((root) => path.win32.join(root, "Google", "Chrome", "Application", "chrome.exe")),
        // Edge is Chromium and comes with every Windows 10/11.
        ...roots.map((root) => path.win32.join(root, "Microsoft", "Edge", "Application", "msedge.exe")),
      ];
    }
    default:
      return [];
  }
}

export function npmChromiumSupported(platform: NodeJS.Platform, arch: string): boolean {
  // The package ships one binary: x86-64 Linux (glibc, with the system's libnss3 / libnspr4).
  return platform === "linux" && arch === "x64";
}

export async function resolveChromium(options: ResolveChromiumOptions = {}): Promise<ResolvedChromium> {
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  const arch = options.arch ?? process.arch;
  const allowed = (source: ChromiumSource) => options.only === undefined || options.only === source;

  const fromEnv = env.CHROMIUM_PATH;
  if (allowed("CHROMIUM_PATH")) {
    if (fromEnv) {
      if (!existsSync(fromEnv)) throw new Error(`CHROMIUM_PATH is set to ${fromEnv}, but there is no file there.`);
      return { executablePath: fromEnv, source: "CHROMIUM_PATH" };
    }
    if (options.only === "CHROMIUM_PATH") throw new Error("CHROMIUM_PATH is not set.");
  }

  if (allowed("system")) {
    const candidates = options.systemCandidates ?? systemChromiumCandidates(platform, env);
    const installed = candidates.find((candidate) => existsSync(candidate));
    if (installed) return { executablePath: installed, source: "system" };
    if (options.only === "system") throw new Error(`No system Chromium at: ${candidates.join(", ") || "(none)"}.`);
  }

  if (!npmChromiumSupported(platform, arch)) {
    throw new Error(
      `No Chromium found for the browser test: install Google Chrome, Chromium or Edge, or set CHROMIUM_PATH to ` +
        `a Chromium-based browser. (The Chromium from the npm registry runs on x86-64 Linux only; this is ${platform} ${arch}.)`,
    );
  }
  return { executablePath: await unpackNpmChromium(), source: "npm" };
}

/**
 * `@sparticuz/chromium` keeps its binary brotli-compressed inside the package; its
 * `executablePath()` unpacks it into os.tmpdir(). It runs in a child process with TMPDIR pointed
 * at our cache folder, so the binary lands there (and is reused by every later run) without
 * changing this process's environment.
 */
async function unpackNpmChromium(): Promise<string> {
  const require = createRequire(import.meta.url);
  const entry = require.resolve(SPARTICUZ_PACKAGE);
  const packageJson = JSON.parse(readFileSync(path.join(path.dirname(entry), "..", "package.json"), "utf8")) as {
    version: string;
  };
  const dir = await cachedDir(`chromium-${packageJson.version}`, async (stagingDir) => {
    const script = `const { default: chromium } = await import(${JSON.stringify(pathToFileURL(entry).href)});
process.stdout.write(await chromium.executablePath());`;
    const { stdout } = await promisify(execFile)(process.execPath, ["--input-type=module", "-e", script], {
      env: { ...process.env, TMPDIR: stagingDir },
    });
    if (path.resolve(stdout.trim()) !== path.join(stagingDir, "chromium")) {
      throw new Error(`${SPARTICUZ_PACKAGE} unpacked its Chromium to ${stdout.trim()}, not into ${stagingDir}.`);
    }
  });
  return path.join(dir, "chromium");
}
