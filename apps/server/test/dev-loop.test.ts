import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

/** `pnpm dev` and `pnpm serve` as a person runs them: src/main.ts in a child process, stdout read. */

const serverRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const tsxCli = createRequire(import.meta.url).resolve("tsx/cli");
const workDirs: string[] = [];

afterAll(() => {
  for (const dir of workDirs) rmSync(dir, { recursive: true, force: true });
});

/** Runs main.ts until `until` matches its stdout, then stops it with SIGTERM; returns stdout. */
async function runMain(env: Record<string, string>, until: RegExp): Promise<string> {
  const workDir = mkdtempSync(path.join(tmpdir(), "mp-auth-dev-loop-"));
  workDirs.push(workDir);
  const { NODE_ENV: _inherited, ...parentEnv } = process.env;
  const child = spawn(process.execPath, [tsxCli, "src/main.ts"], {
    cwd: serverRoot,
    env: {
      ...parentEnv,
      HOST: "127.0.0.1",
      PORT: "0",
      WX_MOCK_PORT: "0",
      DATABASE_URL: `file:${path.join(workDir, "dev.db")}`,
      UPLOAD_DIR: path.join(workDir, "uploads"),
      SESSION_KEY_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
      FORCE_COLOR: "",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`main.ts printed no ${until} in 60 s:\n${stdout}\n${stderr}`)),
        60_000,
      );
      child.stdout.on("data", (chunk: Buffer) => {
        stdout += chunk.toString();
        if (until.test(stdout)) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`main.ts exited (${code}) before printing ${until}:\n${stdout}\n${stderr}`));
      });
    });
  } finally {
    child.kill("SIGTERM");
    await exited;
  }
  return stdout;
}

describe("the dev loop", () => {
  it("prints readable log lines and one banner with the URLs in development", async () => {
    const stdout = await runMain({}, /dev server is ready[\s\S]*In a browser.*\n/);
    const apiUrl = /API\s+(http:\/\/127\.0\.0\.1:\d+\/trpc)/.exec(stdout)?.[1];
    const mockUrl = /Mock WeChat\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)?.[1];
    expect(apiUrl, stdout).toBeDefined();
    expect(mockUrl, stdout).toBeDefined();
    expect(stdout).toContain(path.join("apps", "miniapp", "dist", "weapp"));
    expect(stdout).toContain("pnpm dev:h5");
    // The banner names the port the server really took (PORT=0): the "server listening" line says the same.
    expect(stdout.split(apiUrl!).length - 1, stdout).toBe(2);
    // Log lines are "HH:MM:SS LEVEL: message", not JSON.
    expect(stdout).toMatch(/^\[?\d{2}:\d{2}:\d{2}\]? INFO.*server listening/m);
    expect(stdout.split("\n").filter((line) => line.startsWith("{"))).toEqual([]);
    expect(stdout.match(/dev server is ready/g)).toHaveLength(1);
    expect(stdout.indexOf("dev server is ready")).toBeGreaterThan(stdout.indexOf("server listening"));
  });

  it("keeps JSON lines and prints no banner in production", async () => {
    const stdout = await runMain(
      { NODE_ENV: "production", WX_MOCK: "1", SESSION_KEY_ENCRYPTION_KEY: Buffer.alloc(32, 3).toString("base64") },
      /"msg":"server listening"/,
    );
    const lines = stdout.trim().split("\n");
    for (const line of lines) expect(() => JSON.parse(line) as unknown, line).not.toThrow();
    expect(stdout).not.toContain("dev server is ready");
  });
});
