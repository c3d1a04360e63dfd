import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** Runs `taro build` for tests and the bench, into an output folder of their own. */

export const miniappRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export interface TaroBuildOptions {
  platform: "weapp" | "h5";
  /** Relative to apps/miniapp, e.g. "dist/test/weapp". */
  outputDir: string;
  /** TARO_APP_* values; anything not given is forced empty so a developer's shell cannot leak in. */
  clientEnv?: { TARO_APP_API_URL?: string; TARO_APP_WX_MOCK_URL?: string; TARO_APP_ID?: string };
}

export async function taroBuild(options: TaroBuildOptions): Promise<{ durationMs: number }> {
  const require = createRequire(import.meta.url);
  const taroBin = path.join(path.dirname(require.resolve("@tarojs/cli/package.json")), "bin", "taro");
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: "production",
    MINIAPP_OUTPUT_DIR: options.outputDir,
    TARO_APP_API_URL: options.clientEnv?.TARO_APP_API_URL ?? "",
    TARO_APP_WX_MOCK_URL: options.clientEnv?.TARO_APP_WX_MOCK_URL ?? "",
    // TARO_APP_ID: Taro writes it into project.config.json, and config/client-env.ts makes it the
    // appid the link sends (X-WX-Appid). Unset keeps the file's tourist appid and sends none.
    ...(options.clientEnv?.TARO_APP_ID ? { TARO_APP_ID: options.clientEnv.TARO_APP_ID } : {}),
  };
  if (!options.clientEnv?.TARO_APP_ID) delete env.TARO_APP_ID;
  // Vitest marks its own environment; Taro's babel preset must not think it is running under jest/test.
  delete env.VITEST;
  delete env.TEST;

  const startedAt = Date.now();
  const output: string[] = [];
  const exitCode = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(process.execPath, [taroBin, "build", "--type", options.platform], {
      cwd: miniappRoot,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout.on("data", (chunk: Buffer) => output.push(chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => output.push(chunk.toString()));
    child.on("error", reject);
    child.on("close", resolve);
  });
  const log = output.join("");
  // Taro exits 0 on some compile errors; its error banner is the reliable signal.
  if (exitCode !== 0 || /Failed to compile|编译失败|ERROR in /.test(log)) {
    throw new Error(`taro build --type ${options.platform} failed (exit ${exitCode}):\n${log.slice(-6000)}`);
  }
  return { durationMs: Date.now() - startedAt };
}
