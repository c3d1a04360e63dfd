import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { MOCK_DEFAULT_APPID, MOCK_DEFAULT_SECRET } from "@mp-auth/wechat/mock";
import { freePort, spawnProcess, waitFor200, type Spawned } from "./processes.ts";

export const benchDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const repoRoot = path.resolve(benchDir, "..");
const serverDir = path.join(repoRoot, "apps", "server");

/**
 * Builds apps/server/dist when it is missing or older than its sources (as `pnpm serve` does), so
 * the bench never measures a stale bundle. Skipped when BENCH_SERVER_ENTRY picks the entry.
 */
export async function ensureServerBuilt(): Promise<void> {
  if (process.env.BENCH_SERVER_ENTRY) return;
  const build = (await import(pathToFileURL(path.join(serverDir, "scripts", "build.mjs")).href)) as {
    ensureServerBuilt(): Promise<unknown>;
  };
  await build.ensureServerBuilt();
}

export interface Workspace {
  /** Temp folder: database, uploads, one log file per process. */
  dir: string;
  databaseFile: string;
  /** The timed mock WeChat's base URL. */
  wechatUrl: string;
}

/**
 * How production starts the server: the built entry when there is one (apps/server/dist/main.mjs),
 * otherwise the TypeScript entry through tsx, as `pnpm serve` does today. BENCH_SERVER_ENTRY (a
 * path from the repository root, .ts or .js/.mjs) picks another.
 */
export function realServerCommand(): { args: string[]; cwd: string; label: string } {
  const chosen = process.env.BENCH_SERVER_ENTRY;
  const built = path.join(serverDir, "dist", "main.mjs");
  const entry = chosen
    ? path.resolve(repoRoot, chosen)
    : existsSync(built)
      ? built
      : path.join(serverDir, "src", "main.ts");
  const args = entry.endsWith(".ts") ? ["--import", "tsx", entry] : [entry];
  return {
    args,
    cwd: serverDir,
    label: `node ${args.map((arg) => (path.isAbsolute(arg) ? path.relative(repoRoot, arg) : arg)).join(" ")}`,
  };
}

/** The real server's settings: production mode, the bench database, WeChat = the timed mock. */
export function realServerEnv(workspace: Workspace, port: number): Record<string, string | undefined> {
  return {
    ...process.env,
    NODE_ENV: "production",
    HOST: "127.0.0.1",
    PORT: String(port),
    // Required in production with a real app (avatar URLs); the bench user has no avatar.
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    DATABASE_URL: `file:${workspace.databaseFile}`,
    // A "real" app pointed at the mock: the server starts no mock of its own (no fixed port 3001).
    WX_APPID: MOCK_DEFAULT_APPID,
    WX_SECRET: MOCK_DEFAULT_SECRET,
    WX_API_BASE: workspace.wechatUrl,
    SESSION_KEY_ENCRYPTION_KEY: sessionKeyEncryptionKey,
    UPLOAD_DIR: path.join(workspace.dir, "uploads"),
    // The login figures make hundreds of logins from one IP; the limiters still run, at any limit.
    LOGIN_RATE_LIMIT_PER_IP: "1000000",
    LOGIN_RATE_LIMIT_PER_OPENID: "1000000",
  };
}
/** One key for every start, so sessions stored by one run stay readable in the next. */
const sessionKeyEncryptionKey = randomBytes(32).toString("base64");

export interface RunningProcess {
  name: string;
  url: string;
  spawned: Spawned;
  logFile: string;
  /** performance.now() of the first 200 of /healthz. */
  readyAt: number;
}

/** `env` overrides the settings of realServerEnv (the production path's database and Redis). */
export async function startRealServer(
  workspace: Workspace,
  name = "server",
  env: Record<string, string> = {},
): Promise<RunningProcess> {
  const port = await freePort();
  const { args, cwd } = realServerCommand();
  return startAndWait(name, port, workspace, {
    command: process.execPath,
    args,
    cwd,
    env: { ...realServerEnv(workspace, port), ...env },
  });
}

export type PeerName = "raw-http" | "express" | "trpc-fastify" | "express-redis";

export async function startPeer(
  peer: PeerName,
  workspace: Workspace,
  env: Record<string, string> = {},
): Promise<RunningProcess> {
  const port = await freePort();
  return startAndWait(peer, port, workspace, {
    command: process.execPath,
    args: ["--import", "tsx", path.join(benchDir, "src", "peers", `${peer}.ts`)],
    cwd: benchDir,
    env: {
      ...process.env,
      NODE_ENV: "production",
      PORT: String(port),
      BENCH_DATABASE_FILE: workspace.databaseFile,
      ...env,
    },
  });
}

/** The mock WeChat behind its timing proxy (src/peers/timed-wechat.ts). */
export async function startTimedWechat(dir: string): Promise<{ url: string; stop(): Promise<void> }> {
  const port = await freePort();
  const logFile = path.join(dir, "timed-wechat.log");
  const spawned = spawnProcess({
    command: process.execPath,
    args: ["--import", "tsx", path.join(benchDir, "src", "peers", "timed-wechat.ts")],
    cwd: benchDir,
    env: { ...process.env, PORT: String(port) },
    logFile,
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor200(`${url}/bench/code2session-timings`, spawned, 30_000, logFile);
  return { url, stop: () => spawned.stop() };
}

async function startAndWait(
  name: string,
  port: number,
  workspace: Workspace,
  command: { command: string; args: string[]; cwd: string; env: Record<string, string | undefined> },
): Promise<RunningProcess> {
  const logFile = path.join(workspace.dir, `${name}.log`);
  const spawned = spawnProcess({ ...command, logFile });
  const url = `http://127.0.0.1:${port}`;
  try {
    const readyAt = await waitFor200(`${url}/healthz`, spawned, 30_000, logFile);
    return { name, url, spawned, logFile, readyAt };
  } catch (error) {
    await spawned.stop();
    throw error;
  }
}
