import { openSync, readSync, closeSync, statSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { mintLoginCode } from "@mp-auth/wechat/mock";
import { closeLeanClient, getStatus, postMutation } from "./lean-client.ts";
import { cpuTimeMs } from "./processes.ts";
import type { RunningProcess } from "./servers.ts";
import { median, percentile } from "./throughput.ts";

export interface LoginFigures {
  users: number;
  /** Logins made before any is timed (JIT, statement caches): warmupRounds x users. */
  warmupLogins: number;
  sequential: LoginSeries;
  concurrent: LoginSeries & {
    batches: number;
    /** Sum over batches of (wall time - longest code2Session of the batch). */
    busyWindowMs: number;
    /** Server CPU used during the batches. */
    cpuMs: number;
  };
  /** Loopback round trip of a trivial GET (the raw peer's /healthz): included in every "server time". */
  loopbackP50Ms: number;
}

export interface LoginSeries {
  count: number;
  roundTrip: { p50: number; p99: number };
  code2Session: { p50: number; p99: number };
  /** Round trip minus code2Session as the mock timed it: an upper bound (see measureLogins). */
  serverTime: { p50: number; p99: number };
  /**
   * The server's own time, from its request log: the answer's `ms` minus `wechatMs`, its WeChat
   * calls as the server timed them (client side included).
   */
  serverOwn: { p50: number; p99: number };
}

interface TimedLogin {
  code: string;
  roundTripMs: number;
}

async function mintCodes(wechatUrl: string, openids: string[]): Promise<string[]> {
  const codes: string[] = [];
  for (const openid of openids) codes.push((await mintLoginCode(wechatUrl, { openid })).code);
  return codes;
}

async function timedLogin(serverUrl: string, code: string): Promise<TimedLogin> {
  const started = performance.now();
  await postMutation(serverUrl, "auth.login", { code });
  return { code, roundTripMs: performance.now() - started };
}

/** The mock's notes: how long each code's code2Session call took, seen from the WeChat side. */
async function takeCode2SessionTimings(wechatUrl: string): Promise<Record<string, number>> {
  const response = await fetch(`${wechatUrl}/bench/code2session-timings`);
  return (await response.json()) as Record<string, number>;
}

/** A request log line of the server (apps/server/src/http-server.ts). */
interface RequestLine {
  msg?: string;
  path?: string;
  ms?: number;
  wechatMs?: number;
}

/**
 * The server's own time of each auth.login in its log written after byte `from`: `ms - wechatMs`.
 * Waits (up to 5 s) for `count` lines: the server writes a line once its answer has left.
 */
async function serverOwnTimes(logFile: string, from: number, count: number): Promise<number[]> {
  const deadline = performance.now() + 5000;
  for (;;) {
    const times: number[] = [];
    const size = statSync(logFile).size;
    const bytes = Buffer.alloc(size - from);
    const fd = openSync(logFile, "r");
    try {
      readSync(fd, bytes, 0, bytes.length, from);
    } finally {
      closeSync(fd);
    }
    for (const text of bytes.toString("utf8").split("\n")) {
      if (!text.startsWith("{")) continue;
      const line = JSON.parse(text) as RequestLine;
      if (line.msg !== "request" || line.path !== "/trpc/auth.login" || line.ms === undefined) continue;
      if (line.wechatMs === undefined) throw new Error("a login's log line has no wechatMs");
      times.push(line.ms - line.wechatMs);
    }
    if (times.length >= count) return times;
    if (performance.now() > deadline) throw new Error(`the server logged ${times.length} of ${count} logins`);
    await sleep(50);
  }
}

function series(logins: TimedLogin[], timings: Record<string, number>, ownTimes: number[]): LoginSeries {
  const wechat = logins.map((login) => {
    const ms = timings[login.code];
    if (ms === undefined) throw new Error("the mock WeChat saw no code2Session call for a login");
    return ms;
  });
  const server = logins.map((login, index) => login.roundTripMs - wechat[index]!);
  const roundTrips = logins.map((login) => login.roundTripMs);
  const pair = (values: number[]) => ({ p50: percentile(values, 50), p99: percentile(values, 99) });
  return {
    count: logins.length,
    roundTrip: pair(roundTrips),
    code2Session: pair(wechat),
    serverTime: pair(server),
    serverOwn: pair(ownTimes),
  };
}

/**
 * auth.login's server time without the WeChat call, two ways. The server's own: its request log
 * line for each login gives the answer's time and the code2Session call's time as the server saw
 * it (`ms`, `wechatMs`); the difference is its own work. An upper bound from outside: the HTTP
 * round trip measured here minus the code2Session call as the mock WeChat timed it (arrival of the
 * server's request to the end of the answer); that also counts one loopback round trip (reported
 * apart), this process's work and the call's client side, which on a 2-core machine shared with
 * the mock and this process read 3-7 ms for a few logins in a hundred. Returning users (the common
 * case), fresh wx.login codes minted beforehand, so minting is never timed.
 */
export async function measureLogins(
  server: RunningProcess,
  wechatUrl: string,
  loopbackProbeUrl: string,
  settings: { users: number; warmupRounds: number; sequentialRounds: number; concurrentBatches: number },
): Promise<LoginFigures> {
  const openids = Array.from({ length: settings.users }, (_, index) => `bench-login-${index}`);

  // Warm-up: creates the users, then runs the login path long enough for V8 to optimise it, as
  // user.me's rounds warm up: after 300 logins a profile still showed a fifth of the CPU in V8's
  // optimising compiler and most of the login path in baseline code.
  for (let round = 0; round < settings.warmupRounds; round++) {
    for (const code of await mintCodes(wechatUrl, openids)) await timedLogin(server.url, code);
  }
  await takeCode2SessionTimings(wechatUrl);

  const sequentialCodes = await mintCodes(
    wechatUrl,
    Array.from({ length: settings.sequentialRounds }, () => openids).flat(),
  );
  const sequential: TimedLogin[] = [];
  const sequentialLogFrom = statSync(server.logFile).size;
  for (const code of sequentialCodes) sequential.push(await timedLogin(server.url, code));
  const sequentialSeries = series(
    sequential,
    await takeCode2SessionTimings(wechatUrl),
    await serverOwnTimes(server.logFile, sequentialLogFrom, sequential.length),
  );

  // Concurrent: every user logs in at the same moment, batch after batch.
  const batches: string[][] = [];
  for (let batch = 0; batch < settings.concurrentBatches; batch++) batches.push(await mintCodes(wechatUrl, openids));
  const concurrent: TimedLogin[] = [];
  const batchWalls: { wallMs: number; codes: string[] }[] = [];
  const concurrentLogFrom = statSync(server.logFile).size;
  const cpuBefore = await cpuTimeMs(server.spawned.pid);
  for (const codes of batches) {
    const started = performance.now();
    concurrent.push(...(await Promise.all(codes.map((code) => timedLogin(server.url, code)))));
    batchWalls.push({ wallMs: performance.now() - started, codes });
  }
  const cpuMs = (await cpuTimeMs(server.spawned.pid)) - cpuBefore;
  const concurrentTimings = await takeCode2SessionTimings(wechatUrl);
  const busyWindowMs = batchWalls.reduce(
    (sum, batch) => sum + batch.wallMs - Math.max(...batch.codes.map((code) => concurrentTimings[code] ?? 0)),
    0,
  );

  const loopback: number[] = [];
  for (let probe = 0; probe < 200; probe++) {
    const started = performance.now();
    await getStatus(loopbackProbeUrl);
    loopback.push(performance.now() - started);
  }

  closeLeanClient();
  return {
    users: settings.users,
    warmupLogins: settings.warmupRounds * settings.users,
    sequential: sequentialSeries,
    concurrent: {
      ...series(
        concurrent,
        concurrentTimings,
        await serverOwnTimes(server.logFile, concurrentLogFrom, concurrent.length),
      ),
      batches: settings.concurrentBatches,
      busyWindowMs,
      cpuMs,
    },
    loopbackP50Ms: median(loopback.slice(20)),
  };
}
