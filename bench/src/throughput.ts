import autocannon from "autocannon";
import { cpuTimeMs } from "./processes.ts";
import type { RunningProcess } from "./servers.ts";

export interface LoadSettings {
  connections: number;
  /** Once per server before round 1: JIT, Prisma's query compiler, SQLite's page cache. */
  firstWarmupSeconds: number;
  /** Before every round: connections, caches cooled by the other servers' rounds. */
  warmupSeconds: number;
  durationSeconds: number;
  rounds: number;
}

export interface RoundResult {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Server CPU (user + system, whole process) per answered request. */
  cpuMsPerRequest: number;
}

export interface ServerThroughput {
  name: string;
  rounds: RoundResult[];
  median: RoundResult;
}

export const USER_ME_PATH = "/trpc/user.me";

/**
 * Every server must answer `user.me` with the same bytes, or the comparison compares different
 * work: fails loudly, showing both answers.
 */
export async function assertIdenticalAnswers(servers: RunningProcess[], token: string): Promise<string> {
  const answers = await Promise.all(
    servers.map(async (server) => {
      const response = await fetch(`${server.url}${USER_ME_PATH}`, { headers: { authorization: `Bearer ${token}` } });
      return { name: server.name, status: response.status, body: Buffer.from(await response.arrayBuffer()) };
    }),
  );
  const [reference] = answers;
  if (!reference) throw new Error("no server to compare");
  for (const answer of answers) {
    if (answer.status !== 200 || !answer.body.equals(reference.body)) {
      throw new Error(
        `user.me answers differ; the comparison would be meaningless:\n` +
          answers.map((a) => `  ${a.name} (${a.status}): ${a.body.toString("utf8")}`).join("\n"),
      );
    }
  }
  return reference.body.toString("utf8");
}

async function load(url: string, token: string, connections: number, seconds: number) {
  const result = await autocannon({
    url: `${url}${USER_ME_PATH}`,
    method: "GET",
    headers: { authorization: `Bearer ${token}` },
    connections,
    duration: seconds,
  });
  if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0) {
    throw new Error(
      `${url}: ${result.non2xx} non-2xx answers, ${result.errors} errors, ${result.timeouts} timeouts under load`,
    );
  }
  return result;
}

/**
 * Interleaved rounds: round 1 of every server, then round 2 of every server, ... so a burst of
 * noise from a neighbour on a shared machine spreads over all servers instead of hitting one.
 * Each round: a short warm-up (JIT, caches, connection set-up), then the measured run, with the
 * server process's CPU time read from the OS before and after.
 */
export async function measureThroughput(
  servers: RunningProcess[],
  token: string,
  settings: LoadSettings,
  onRound: (name: string, round: number, result: RoundResult) => void,
): Promise<ServerThroughput[]> {
  const rounds = new Map<string, RoundResult[]>(servers.map((server) => [server.name, []]));
  for (const server of servers) await load(server.url, token, settings.connections, settings.firstWarmupSeconds);
  for (let round = 1; round <= settings.rounds; round++) {
    for (const server of servers) {
      await load(server.url, token, settings.connections, settings.warmupSeconds);
      const cpuBefore = await cpuTimeMs(server.spawned.pid);
      const result = await load(server.url, token, settings.connections, settings.durationSeconds);
      const cpuAfter = await cpuTimeMs(server.spawned.pid);
      const answered = result["2xx"];
      const roundResult: RoundResult = {
        requestsPerSecond: answered / result.duration,
        p50Ms: result.latency.p50,
        p99Ms: result.latency.p99,
        cpuMsPerRequest: (cpuAfter - cpuBefore) / answered,
      };
      rounds.get(server.name)?.push(roundResult);
      onRound(server.name, round, roundResult);
    }
  }
  return servers.map((server) => {
    const results = rounds.get(server.name) ?? [];
    return {
      name: server.name,
      rounds: results,
      median: {
        requestsPerSecond: median(results.map((r) => r.requestsPerSecond)),
        p50Ms: median(results.map((r) => r.p50Ms)),
        p99Ms: median(results.map((r) => r.p99Ms)),
        cpuMsPerRequest: median(results.map((r) => r.cpuMsPerRequest)),
      },
    };
  });
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
