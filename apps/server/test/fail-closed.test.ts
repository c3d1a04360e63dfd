import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

/**
 * Production fails closed: the documented production command, `pnpm serve`, refuses to start
 * without WeChat credentials (unless WX_MOCK=1 asks for the mock), with one message naming what is
 * missing, and never falls back to the mock or a generated key.
 */

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const workDir = mkdtempSync(path.join(tmpdir(), "mp-auth-fail-closed-"));

afterAll(() => rmSync(workDir, { recursive: true, force: true }));

function serve(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  // Only what a deployment would set: nothing inherited that could name a WeChat app.
  const { WX_APPID: _appid, WX_SECRET: _secret, WX_MOCK: _mock, ...parentEnv } = process.env;
  const child = spawn("pnpm", ["serve"], {
    cwd: repoRoot,
    env: {
      ...parentEnv,
      HOST: "127.0.0.1",
      PORT: "0",
      WX_MOCK_PORT: "0",
      DATABASE_URL: `file:${path.join(workDir, "server.db")}`,
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  return new Promise((resolve) => child.once("exit", (code) => resolve({ code, output })));
}

describe("pnpm serve in production", () => {
  it("exits non-zero without WX_APPID and WX_SECRET, naming them and the WX_MOCK switch, without a stack", async () => {
    const { code, output } = await serve({ SESSION_KEY_ENCRYPTION_KEY: randomBytes(32).toString("base64") });
    expect(code).not.toBe(0);
    expect(output).toMatch(/WX_APPID and WX_SECRET are required in production/);
    expect(output).toMatch(/WX_MOCK=1/);
    expect(output).not.toMatch(/^\s+at /m);
    expect(output).not.toMatch(/server listening/);
  }, 120_000);

  it("exits non-zero without SESSION_KEY_ENCRYPTION_KEY, even on the mock", async () => {
    const { code, output } = await serve({ WX_MOCK: "1" });
    expect(code).not.toBe(0);
    expect(output).toMatch(/SESSION_KEY_ENCRYPTION_KEY: is required in production/);
    expect(output).not.toMatch(/server listening/);
  }, 120_000);
});
