import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import pidusage from "pidusage";
import { barChartSvg, renderPng } from "./chart.ts";
import { createFixture } from "./fixture.ts";
import { measureLogins } from "./logins.ts";
import { machineLine, printTargets, renderMarkdown, SERVER_LABELS, type Report } from "./report.ts";
import {
  benchDir,
  ensureServerBuilt,
  realServerCommand,
  startPeer,
  startRealServer,
  type RunningProcess,
} from "./servers.ts";
import { measureStartUp } from "./start-up.ts";
import { measureProductionPath } from "./production-path.ts";
import { assertIdenticalAnswers, measureThroughput, type LoadSettings, type RoundResult } from "./throughput.ts";

/**
 * `pnpm bench` (server part): the real server against three peers doing the identical session
 * lookup on the same SQLite file, each in its own node process; then auth.login and start-up
 * figures. Writes results/latest.md and results/latest.png. BENCH_QUICK=1 shortens every phase
 * (for trying the harness, not for figures).
 */
const quick = process.env.BENCH_QUICK === "1";
const load: LoadSettings = quick
  ? { connections: 50, firstWarmupSeconds: 1, warmupSeconds: 1, durationSeconds: 2, rounds: 1 }
  : // Five rounds: on a 2-core VM a round's throughput varied by up to 40% with the host's noise,
    // which a median of three could not shake off.
    { connections: 50, firstWarmupSeconds: 3, warmupSeconds: 1, durationSeconds: 5, rounds: 5 };
/** Two servers only, and not a target of its own: fewer rounds keep the whole run within minutes. */
const productionLoad: LoadSettings = quick ? load : { ...load, rounds: 2 };
const resultsDir = path.join(benchDir, "results");

function printRound(name: string, round: number, result: RoundResult): void {
  console.log(
    `  round ${round} ${(SERVER_LABELS[name] ?? name).padEnd(36)} ${Math.round(result.requestsPerSecond).toString().padStart(6)} req/s  ` +
      `p50 ${result.p50Ms} ms  p99 ${result.p99Ms} ms  CPU ${result.cpuMsPerRequest.toFixed(3)} ms/req`,
  );
}

async function main(): Promise<void> {
  const started = performance.now();
  console.log(`machine: ${machineLine()}`);
  await ensureServerBuilt();
  console.log("fixture: migrating a SQLite file, one login through the real server ...");
  const fixture = await createFixture();
  const running: RunningProcess[] = [];
  try {
    console.log(`starting the real server (${realServerCommand().label}) and three peers ...`);
    running.push(await startRealServer(fixture.workspace));
    for (const peer of ["raw-http", "express", "trpc-fastify"] as const)
      running.push(await startPeer(peer, fixture.workspace));
    const answer = await assertIdenticalAnswers(running, fixture.token);
    console.log(`user.me answers are byte-identical (${Buffer.byteLength(answer)} bytes): ${answer}`);

    // Logins first, on fresh processes: measured after the minute of user.me load (this process runs
    // autocannon and is the logins' HTTP client too), the same server's login p50 read 2.7-3.3 ms,
    // before it 2.1 ms, and 1.9 ms in a process that ran nothing else.
    console.log("auth.login: sequential and concurrent logins ...");
    const [server, rawPeer] = running;
    const logins = await measureLogins(server!, fixture.workspace.wechatUrl, `${rawPeer!.url}/healthz`, {
      users: 20,
      warmupRounds: quick ? 1 : 50,
      sequentialRounds: quick ? 2 : 20,
      concurrentBatches: quick ? 2 : 10,
    });

    const throughput = await measureThroughput(running, fixture.token, load, printRound);
    await Promise.all(running.splice(0).map((process) => process.spawned.stop()));

    console.log("production path: PostgreSQL + Redis against Express 5 + a Redis session lookup ...");
    const productionPath = await measureProductionPath(fixture.workspace, productionLoad, (name, round, result) =>
      printRound(name, round, result),
    );
    if (!productionPath.measured) console.log(`  skipped: ${productionPath.skipped}`);

    console.log("start-up: spawn to the first 200 of /healthz ...");
    const startUp = await measureStartUp(fixture.workspace, quick ? { node: 1, pnpm: 1 } : { node: 5, pnpm: 3 });

    const report: Report = {
      date: new Date().toISOString().slice(0, 10),
      serverCommand: realServerCommand().label,
      load,
      throughput,
      logins,
      startUp,
      productionPath,
      answerBytes: Buffer.byteLength(answer),
    };
    const markdown = renderMarkdown(report);
    mkdirSync(resultsDir, { recursive: true });
    writeFileSync(path.join(resultsDir, "latest.md"), markdown);
    const svg = barChartSvg(
      `user.me, ${load.connections} connections on loopback: requests per second (median of ${load.rounds})`,
      `${machineLine()}; ${report.date}`,
      throughput.map((entry) => ({
        label: SERVER_LABELS[entry.name] ?? entry.name,
        value: entry.median.requestsPerSecond,
        highlight: entry.name === "server",
        note: `${entry.median.cpuMsPerRequest.toFixed(2)} ms server CPU a request, p99 ${entry.median.p99Ms} ms`,
      })),
    );
    const browser = await renderPng(svg, path.join(resultsDir, "latest.png"));
    console.log("");
    console.log(markdown);
    printTargets(report);
    console.log(
      `wrote bench/results/latest.md and latest.png (Chromium: ${browser}) in ${((performance.now() - started) / 1000).toFixed(0)} s`,
    );
  } finally {
    await Promise.all(running.map((process) => process.spawned.stop()));
    await fixture.stopWechat();
    pidusage.clear();
    rmSync(fixture.workspace.dir, { recursive: true, force: true });
  }
}

await main();
