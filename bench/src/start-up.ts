import path from "node:path";
import { freePort, spawnProcess, waitFor200 } from "./processes.ts";
import { realServerCommand, realServerEnv, repoRoot, type Workspace } from "./servers.ts";
import { median } from "./throughput.ts";

export interface StartUpFigures {
  /** Spawn of `node` to the first 200 of /healthz, median of the runs. */
  nodeMs: number;
  nodeRuns: number[];
  /** The same through `pnpm serve`. */
  pnpmServeMs: number;
  pnpmServeRuns: number[];
  /** pnpm's own start-up: `pnpm exec node -e ""` minus `node -e ""` (medians). */
  pnpmOverheadMs: number;
}

async function timeToFirst200(
  workspace: Workspace,
  label: string,
  command: string,
  args: string[],
  cwd: string,
): Promise<number> {
  const port = await freePort();
  const logFile = path.join(workspace.dir, `start-up-${label}.log`);
  const spawned = spawnProcess({ command, args, cwd, env: realServerEnv(workspace, port), logFile, group: true });
  try {
    const answeredAt = await waitFor200(`http://127.0.0.1:${port}/healthz`, spawned, 30_000, logFile);
    return answeredAt - spawned.spawnedAt;
  } finally {
    await spawned.stop();
  }
}

async function timeToExit(command: string, args: string[], workspace: Workspace): Promise<number> {
  const spawned = spawnProcess({
    command,
    args,
    cwd: repoRoot,
    env: process.env,
    logFile: path.join(workspace.dir, "start-up-baseline.log"),
  });
  await new Promise<void>((resolve) => {
    if (spawned.child.exitCode !== null) resolve();
    else spawned.child.once("exit", () => resolve());
  });
  return performance.now() - spawned.spawnedAt;
}

/**
 * Start-up on an already-migrated database (the fixture's): from spawning the process to the first
 * 200 of GET /healthz, polled every 5 ms. The database is migrated, so this is the start of every
 * deploy after the first.
 */
export async function measureStartUp(
  workspace: Workspace,
  runs: { node: number; pnpm: number },
): Promise<StartUpFigures> {
  const { args, cwd } = realServerCommand();
  const nodeRuns: number[] = [];
  for (let run = 0; run < runs.node; run++) {
    nodeRuns.push(await timeToFirst200(workspace, "node", process.execPath, args, cwd));
  }
  const pnpmServeRuns: number[] = [];
  for (let run = 0; run < runs.pnpm; run++) {
    pnpmServeRuns.push(await timeToFirst200(workspace, "pnpm-serve", "pnpm", ["--silent", "serve"], repoRoot));
  }
  const bareNode: number[] = [];
  const pnpmNode: number[] = [];
  for (let run = 0; run < runs.pnpm; run++) {
    bareNode.push(await timeToExit(process.execPath, ["-e", ""], workspace));
    pnpmNode.push(await timeToExit("pnpm", ["--silent", "exec", "node", "-e", ""], workspace));
  }
  return {
    nodeMs: median(nodeRuns),
    nodeRuns,
    pnpmServeMs: median(pnpmServeRuns),
    pnpmServeRuns,
    pnpmOverheadMs: Math.max(0, median(pnpmNode) - median(bareNode)),
  };
}
