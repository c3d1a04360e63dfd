import { spawn, type ChildProcess } from "node:child_process";
import { openSync, closeSync } from "node:fs";
import { createServer } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import pidusage from "pidusage";

/** A free loopback port: the OS picks one, we close it and hand the number to a child. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface Spawned {
  child: ChildProcess;
  pid: number;
  /** performance.now() just before spawn. */
  spawnedAt: number;
  /** Ends the process (SIGTERM, then SIGKILL after 3 s) and waits for its exit. */
  stop(): Promise<void>;
}

export interface SpawnOptions {
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string | undefined>;
  /** stdout and stderr are appended here (a real file, as a production log would be). */
  logFile: string;
  /** Own process group, so a wrapper (pnpm, sh) and the node it starts stop together. */
  group?: boolean;
}

export function spawnProcess(options: SpawnOptions): Spawned {
  const log = openSync(options.logFile, "a");
  const spawnedAt = performance.now();
  const child = spawn(options.command, options.args, {
    cwd: options.cwd,
    env: options.env,
    stdio: ["ignore", log, log],
    detached: options.group ?? false,
  });
  closeSync(log);
  if (child.pid === undefined) throw new Error(`could not start ${options.command} ${options.args.join(" ")}`);
  const pid = child.pid;
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once("exit", () => resolve());
  });
  const signal = (name: NodeJS.Signals) => {
    try {
      // A negative pid signals the whole group this child leads (only ever our own group).
      process.kill(options.group ? -pid : pid, name);
    } catch {
      // already gone
    }
  };
  return {
    child,
    pid,
    spawnedAt,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      signal("SIGTERM");
      const killed = await Promise.race([exited.then(() => false), sleep(3000).then(() => true)]);
      if (killed) {
        signal("SIGKILL");
        await exited;
      }
    },
  };
}

/**
 * Polls `url` until it answers 200; resolves with performance.now() of that answer. Fails when the
 * process exits first or after `timeoutMs`.
 */
export async function waitFor200(url: string, spawned: Spawned, timeoutMs = 30_000, logFile?: string): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (spawned.child.exitCode !== null || spawned.child.signalCode !== null) {
      throw new Error(`process ${spawned.pid} exited before ${url} answered${logFile ? ` (log: ${logFile})` : ""}`);
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await response.arrayBuffer();
      if (response.status === 200) return performance.now();
    } catch {
      // not listening yet
    }
    await sleep(5);
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms${logFile ? ` (log: ${logFile})` : ""}`);
}

/** CPU time (user + system, all threads) the process has used so far, in ms. */
export async function cpuTimeMs(pid: number): Promise<number> {
  const stats = await pidusage(pid);
  return stats.ctime;
}
