import os from "node:os";
import type { LoginFigures } from "./logins.ts";
import type { ProductionPathFigures } from "./production-path.ts";
import type { StartUpFigures } from "./start-up.ts";
import type { LoadSettings, ServerThroughput } from "./throughput.ts";

export const SERVER_LABELS: Record<string, string> = {
  server: "this project (real server)",
  "raw-http": "raw node:http + better-sqlite3",
  express: "Express 5 + lookup middleware",
  "trpc-fastify": "stock tRPC 11, fastify adapter",
  "server-production": "this project, PostgreSQL + Redis",
  "express-redis": "Express 5 + Redis session lookup",
};

export interface Report {
  date: string;
  serverCommand: string;
  load: LoadSettings;
  throughput: ServerThroughput[];
  logins: LoginFigures;
  startUp: StartUpFigures;
  productionPath: ProductionPathFigures;
  answerBytes: number;
}

export interface Target {
  name: string;
  goal: string;
  measured: string;
  met: boolean;
}

const ms = (value: number) => `${value.toFixed(2)} ms`;
const whole = (value: number) => Math.round(value).toLocaleString("en-US");

export function machineLine(): string {
  const cpus = os.cpus();
  return `${cpus[0]?.model.trim() ?? "unknown CPU"}, ${cpus.length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GB RAM, ${os.type()} ${os.release()}, Node ${process.version}`;
}

function byName(report: Report, name: string): ServerThroughput {
  const found = report.throughput.find((entry) => entry.name === name);
  if (!found) throw new Error(`no figures for ${name}`);
  return found;
}

export function evaluateTargets(report: Report): Target[] {
  const server = byName(report, "server").median.requestsPerSecond;
  const raw = byName(report, "raw-http").median.requestsPerSecond;
  const express = byName(report, "express").median.requestsPerSecond;
  const { sequential, concurrent, batches } = { ...report.logins, batches: report.logins.concurrent.batches };
  // Self-calibrated against the sequential figure measured minutes earlier on the same machine, so
  // a busy neighbour slows both alike: N logins at once may take as long as N one after another
  // (one node process does their CPU work in turn), not longer. Longer means idle waiting: a lock,
  // a retry timer, a queue.
  const users = report.logins.users;
  const perBatchMs = concurrent.busyWindowMs / batches;
  const serialMs = users * sequential.serverTime.p50;
  return [
    {
      name: "1. user.me vs raw node:http",
      goal: ">= 0.6 x raw",
      measured: `${(server / raw).toFixed(2)} x`,
      met: server / raw >= 0.6,
    },
    {
      name: "1. user.me vs Express 5",
      goal: ">= 2 x Express",
      measured: `${(server / express).toFixed(2)} x`,
      met: server / express >= 2,
    },
    {
      name: "2. auth.login server time without WeChat (sequential)",
      goal: "p50 <= 2 ms, p99 <= 5 ms",
      measured:
        `p50 ${ms(sequential.serverOwn.p50)}, p99 ${ms(sequential.serverOwn.p99)} (its log); upper bound from outside ` +
        `p50 ${ms(sequential.serverTime.p50)}, p99 ${ms(sequential.serverTime.p99)}`,
      met: sequential.serverOwn.p50 <= 2 && sequential.serverOwn.p99 <= 5,
    },
    {
      name: `2. ${report.logins.users} concurrent logins do not wait on each other`,
      goal: `a batch (minus WeChat) <= 1.25 x ${users} sequential logins`,
      measured: `${whole(perBatchMs)} ms a batch vs ${whole(serialMs)} ms; server CPU ${ms(concurrent.cpuMs / concurrent.count)} a login`,
      met: perBatchMs <= 1.25 * serialMs + 2,
    },
    {
      name: "3. start-up: node to first 200",
      goal: "<= 1500 ms",
      measured: ms(report.startUp.nodeMs),
      met: report.startUp.nodeMs <= 1500,
    },
    {
      name: "3. start-up: pnpm serve to first 200",
      goal: `<= 1500 ms + pnpm's own ${whole(report.startUp.pnpmOverheadMs)} ms`,
      measured: ms(report.startUp.pnpmServeMs),
      met: report.startUp.pnpmServeMs <= 1500 + report.startUp.pnpmOverheadMs,
    },
  ];
}

/**
 * The verdict on the console, one line per target: MET or NOT MET, the measured value and the
 * target, so a run answers "are we there" without reading the tables.
 */
export function printTargets(report: Report): void {
  const targets = evaluateTargets(report);
  const width = Math.max(...targets.map((target) => target.name.length));
  console.log("Targets (issue 12):");
  for (const target of targets) {
    console.log(
      `  ${(target.met ? "MET" : "NOT MET").padEnd(8)} ${target.name.padEnd(width)}  measured ${target.measured}  (target ${target.goal})`,
    );
  }
  const production = report.productionPath;
  if (production.measured) {
    const [server, peer] = production.throughput;
    if (server && peer) {
      const ratio = server.median.requestsPerSecond / peer.median.requestsPerSecond;
      console.log(
        `  (info)   production path: this project on PostgreSQL + Redis = ${ratio.toFixed(2)} x Express 5 + Redis`,
      );
    }
  } else {
    console.log(`  (info)   production path not measured: ${production.skipped}`);
  }
  const missed = targets.filter((target) => !target.met).length;
  console.log(missed === 0 ? "All targets met." : `${missed} of ${targets.length} targets NOT met.`);
}

/** A throughput table row up to its ratio columns: label, req/s (range of rounds), p50, p99, CPU. */
function throughputCells(entry: ServerThroughput): string {
  const rps = entry.rounds.map((round) => round.requestsPerSecond);
  const m = entry.median;
  return (
    `| ${SERVER_LABELS[entry.name] ?? entry.name} | ${whole(m.requestsPerSecond)} (${whole(Math.min(...rps))}-${whole(Math.max(...rps))}) | ` +
    `${m.p50Ms} ms | ${m.p99Ms} ms | ${ms(m.cpuMsPerRequest)} |`
  );
}

export function renderMarkdown(report: Report): string {
  const raw = byName(report, "raw-http").median.requestsPerSecond;
  const express = byName(report, "express").median.requestsPerSecond;
  const { load, logins, startUp } = report;
  void express;
  const lines: string[] = [];
  lines.push(`### user.me, ${load.connections} connections on loopback`);
  lines.push("");
  lines.push(
    `${load.rounds} interleaved rounds of ${load.durationSeconds} s per server (${load.firstWarmupSeconds} s of warm-up each ` +
      `before the first, ${load.warmupSeconds} s before every round), ` +
      `medians of the rounds; every server answered the same ${report.answerBytes} bytes.`,
  );
  lines.push("");
  lines.push("| server | user.me req/s (rounds) | p50 | p99 | server CPU per request | vs raw | vs Express |");
  lines.push("| --- | --- | --- | --- | --- | --- | --- |");
  for (const entry of report.throughput) {
    const rps = entry.median.requestsPerSecond;
    lines.push(`${throughputCells(entry)} ${(rps / raw).toFixed(2)} | ${(rps / express).toFixed(2)} |`);
  }
  lines.push("");
  lines.push(`### auth.login (real server, ${logins.users} returning users)`);
  lines.push("");
  lines.push(
    "| logins | count | round trip p50 / p99 | code2Session (at the mock) p50 / p99 | server time, upper bound p50 / p99 | server's own time (its log) p50 / p99 |",
  );
  lines.push("| --- | --- | --- | --- | --- | --- |");
  for (const [label, s] of [
    ["one at a time", logins.sequential],
    [`${logins.users} at once`, logins.concurrent],
  ] as const) {
    lines.push(
      `| ${label} | ${s.count} | ${ms(s.roundTrip.p50)} / ${ms(s.roundTrip.p99)} | ${ms(s.code2Session.p50)} / ${ms(s.code2Session.p99)} | ` +
        `${ms(s.serverTime.p50)} / ${ms(s.serverTime.p99)} | ${ms(s.serverOwn.p50)} / ${ms(s.serverOwn.p99)} |`,
    );
  }
  lines.push("");
  lines.push(
    `Server's own time (target 2) = the login's \`ms\` minus its \`wechatMs\` on the server's request log line: ` +
      `from the request's arrival to its answer, minus the code2Session call as the server timed it (its HTTP client ` +
      `side, the loopback hop and the mock process's scheduling included). Upper bound = HTTP round trip ` +
      `(node:http on a kept-alive connection) - the code2Session call as the mock WeChat timed it, so it also ` +
      `counts one loopback round trip (a trivial GET: ${ms(logins.loopbackP50Ms)} p50), this process's own ` +
      `work and the call's client side. "At once": ${logins.concurrent.batches} batches of ` +
      `${logins.users} different users; each login then also waits for the others' CPU work. A batch's time is its wall ` +
      `time minus its longest code2Session call. Timed after ${logins.warmupLogins} warm-up logins.`,
  );
  lines.push("");
  lines.push("### Production path: PostgreSQL + Redis, user.me");
  lines.push("");
  const production = report.productionPath;
  if (production.measured) {
    const peer = production.throughput.find((entry) => entry.name === "express-redis");
    lines.push(
      `The real server on PostgreSQL with its Redis session cache against Express 5 finding the session in Redis ` +
        `(one GET, no database), ${load.connections} connections, ${production.throughput[0]?.rounds.length ?? 0} interleaved ` +
        `rounds, medians; both answered the same ${production.answerBytes} bytes.`,
    );
    lines.push("");
    lines.push("| server | user.me req/s (rounds) | p50 | p99 | server CPU per request | vs Express + Redis |");
    lines.push("| --- | --- | --- | --- | --- | --- |");
    for (const entry of production.throughput) {
      const ratio = peer ? (entry.median.requestsPerSecond / peer.median.requestsPerSecond).toFixed(2) : "-";
      lines.push(`${throughputCells(entry)} ${ratio} |`);
    }
  } else {
    lines.push(`Not measured: ${production.skipped}.`);
  }
  lines.push("");
  lines.push("### Start-up on an already-migrated database (spawn to the first 200 of /healthz)");
  lines.push("");
  lines.push("| how | median | runs |");
  lines.push("| --- | --- | --- |");
  lines.push(
    `| \`${report.serverCommand}\` | ${ms(startUp.nodeMs)} | ${startUp.nodeRuns.map((v) => whole(v)).join(", ")} ms |`,
  );
  lines.push(
    `| \`pnpm serve\` | ${ms(startUp.pnpmServeMs)} | ${startUp.pnpmServeRuns.map((v) => whole(v)).join(", ")} ms (pnpm's own start-up: ${whole(startUp.pnpmOverheadMs)} ms) |`,
  );
  lines.push("");
  lines.push("### Targets (issue 12)");
  lines.push("");
  lines.push("| target | goal | measured | |");
  lines.push("| --- | --- | --- | --- |");
  for (const target of evaluateTargets(report)) {
    lines.push(`| ${target.name} | ${target.goal} | ${target.measured} | ${target.met ? "MET" : "NOT MET"} |`);
  }
  lines.push("");
  lines.push(
    `Machine: ${machineLine()}. Date: ${report.date}. Real server started as \`${report.serverCommand}\`, NODE_ENV=production, logs to a file.`,
  );
  return lines.join("\n") + "\n";
}
