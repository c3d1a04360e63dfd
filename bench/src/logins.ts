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
  serverTime: { p50: number; p99: number };
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

function series(logins: TimedLogin[], timings: Record<string, number>): LoginSeries {
  const wechat = logins.map((login) => {
    const ms = timings[login.code];
    if (ms === undefined) throw new Error("the mock WeChat saw no code2Session call for a login");
    return ms;
  });
  const server = logins.map((login, index) => login.roundTripMs - wechat[index]!);
  const roundTrips = logins.map((login) => login.roundTripMs);
  const pair = (values: number[]) => ({ p50: percentile(values, 50), p99: percentile(values, 99) });
  return { count: logins.length, roundTrip: pair(roundTrips), code2Session: pair(wechat), serverTime: pair(server) };
}

/**
 * auth.login's server time without the WeChat call: the HTTP round trip measured here, minus the
 * code2Session call as the mock WeChat timed it (arrival of the server's request to the end of the
 * answer). What is left is the server's own work plus one loopback round trip (reported apart),
 * so it is an upper bound. Returning users (the common case), fresh wx.login codes minted
 * beforehand, so minting is never timed.
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
  for (const code of sequentialCodes) sequential.push(await timedLogin(server.url, code));
  const sequentialSeries = series(sequential, await takeCode2SessionTimings(wechatUrl));

  // Concurrent: every user logs in at the same moment, batch after batch.
  const batches: string[][] = [];
  for (let batch = 0; batch < settings.concurrentBatches; batch++) batches.push(await mintCodes(wechatUrl, openids));
  const concurrent: TimedLogin[] = [];
  const batchWalls: { wallMs: number; codes: string[] }[] = [];
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
      ...series(concurrent, concurrentTimings),
      batches: settings.concurrentBatches,
      busyWindowMs,
      cpuMs,
    },
    loopbackP50Ms: median(loopback.slice(20)),
  };
}
