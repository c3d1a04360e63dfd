import { randomUUID } from "node:crypto";
import type { ErrorReason } from "@mp-auth/contract";
import { rawQueryOf, type Database, type Prisma } from "@mp-auth/db";
import { TRPCError } from "@trpc/server";
import ipaddr from "ipaddr.js";
import { RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";
import type { ApiDependencies, AppContext, Context } from "../context.ts";
import { formatError } from "../error-format.ts";
import { newestFirst, olderThan, toPage, type PageKey } from "./paging.ts";

/**
 * The login history: one LoginAttempt row per auth.login call that reached our code, success or
 * not, never holding a code or a token. Operators read all of it (the admin CLI); a user reads
 * their own attributed attempts through auth.history, with the address cut to its network.
 */

/**
 * success; refused: the client's side of the line (a rate limit, a used or invalid code, a ban,
 * bad input); error: ours or WeChat's (5xx reasons: WeChat down, the database, a fault).
 */
export const loginAttemptResults = ["success", "refused", "error"] as const;
export type LoginAttemptResult = (typeof loginAttemptResults)[number];

/** The default of LOGIN_HISTORY_RETENTION_DAYS: a quarter covers "was that me last month?". */
export const DEFAULT_LOGIN_HISTORY_RETENTION_DAYS = 90;
/** auth.history pages: small enough for one screen of the mini-program, bounded for the database. */
export const LOGIN_HISTORY_PAGE_MAX = 50;
export const LOGIN_HISTORY_PAGE_DEFAULT = 20;

/** Client-supplied strings are cut, never rejected (as for sessions). */
const USER_AGENT_MAX = 256;

/**
 * What the login flow learnt about whom an attempt was for, while it ran: noted by the flow,
 * read when the attempt is recorded. Keyed by the attempt's own context object (recordLoginAttempt
 * makes one per attempt), so two logins in one tRPC batch never mix their facts.
 */
const attemptIdentities = new WeakMap<Context, { openid: string }>();

/** Called by the login flow once WeChat has named the openid: a refusal after this point has a user. */
export function noteLoginIdentity(ctx: Context, openid: string): void {
  attemptIdentities.set(ctx, { openid });
}

/**
 * The mini-program an attempt is for. The one place login history reads it: with several apps on one
 * server (issue 13, point 1) it becomes the request's app.
 */
function attemptAppid(ctx: AppContext): string {
  return ctx.app.appid;
}

interface AttemptRow {
  userId: string | null;
  appid: string;
  createdAt: Date;
  result: LoginAttemptResult;
  reason: ErrorReason | null;
  clientIp: string | null;
  userAgent: string | null;
}

/**
 * Runs one login attempt and records it: `login` receives a context of its own (see
 * attemptIdentities) and its answer or error passes through unchanged. A failed insert is logged,
 * never turned into a failed login: the history is a record, not a gate.
 */
export async function recordLoginAttempt<T extends { user: { id: string } }>(
  ctx: AppContext,
  login: (attemptCtx: AppContext) => Promise<T>,
): Promise<T> {
  const attemptCtx: AppContext = { ...ctx };
  const base = {
    appid: attemptAppid(ctx),
    clientIp: ctx.request.clientIp ?? null,
    userAgent: ctx.request.userAgent?.slice(0, USER_AGENT_MAX) ?? null,
  };
  let result: T;
  try {
    result = await login(attemptCtx);
  } catch (error) {
    const trpcError =
      error instanceof TRPCError ? error : new TRPCError({ code: "INTERNAL_SERVER_ERROR", cause: error });
    const { reason, httpStatus } = formatError(trpcError).data;
    if (!(await worthRecording(attemptCtx, reason))) throw error;
    await writeAttempt(ctx, async () => ({
      ...base,
      userId: await knownUserId(attemptCtx),
      createdAt: ctx.now(),
      result: httpStatus >= 500 ? "error" : "refused",
      reason,
    }));
    throw error;
  }
  await writeAttempt(ctx, () => ({
    ...base,
    userId: result.user.id,
    createdAt: ctx.now(),
    result: "success",
    reason: null,
  }));
  return result;
}

/**
 * Refusals by the per-address limit are recorded once a minute per address and instance, not once
 * per request: the limit exists to make a flood cheap, and a row per refused request would turn it
 * into a flood of writes (and of history). Every other attempt is bounded by that limit already.
 */
const floodRecords = new WeakMap<ApiDependencies, RateLimiterMemory>();

async function worthRecording(attemptCtx: Context, reason: ErrorReason): Promise<boolean> {
  // Past code2Session (the identity is known) the limit is per user: WeChat bounds those codes.
  if (reason !== "LOGIN_RATE_LIMITED" || attemptIdentities.has(attemptCtx)) return true;
  let limiter = floodRecords.get(attemptCtx.deps);
  if (!limiter) {
    limiter = new RateLimiterMemory({ keyPrefix: "login-history-flood", points: 1, duration: 60 });
    floodRecords.set(attemptCtx.deps, limiter);
  }
  try {
    await limiter.consume(attemptCtx.request.clientIp ?? "unknown");
    return true;
  } catch (rejection) {
    if (rejection instanceof RateLimiterRes) return false;
    throw rejection;
  }
}

/** The user a refused attempt was for, when WeChat named its openid and that openid has an account. */
async function knownUserId(attemptCtx: AppContext): Promise<string | null> {
  const identity = attemptIdentities.get(attemptCtx);
  if (!identity) return null;
  const user = await attemptCtx.deps.db.user.findUnique({
    where: { appid_openid: { appid: attemptAppid(attemptCtx), openid: identity.openid } },
    select: { id: true },
  });
  return user?.id ?? null;
}

async function writeAttempt(ctx: Context, row: () => Promise<AttemptRow> | AttemptRow): Promise<void> {
  try {
    await insertAttempt(ctx.deps.db, await row());
  } catch (error) {
    ctx.deps.logger.warn({ err: error }, "could not record the login attempt");
  }
}

/**
 * One insert. On SQLite through the driver's connection (rawQueryOf): about 0.05 ms where Prisma's
 * create costs about 1 ms of wasm compilation, and login's budget is 2 ms. It is a cache-neutral
 * write: no in-process cache holds login history, so the session cache stays valid. Columns that
 * are null are left out (their default is NULL). Elsewhere Prisma's create.
 */
async function insertAttempt(db: Database, row: AttemptRow): Promise<void> {
  const raw = rawQueryOf(db);
  if (!raw) {
    await db.loginAttempt.create({ data: { id: randomUUID(), ...row }, select: { id: true } });
    return;
  }
  const columns: string[] = ["id", "appid", "createdAt", "result"];
  // DateTime as text, as the Prisma adapter writes it, so Prisma reads and compares it alike.
  const values: string[] = [randomUUID(), row.appid, row.createdAt.toISOString().replace("Z", "+00:00"), row.result];
  for (const column of ["userId", "reason", "clientIp", "userAgent"] as const) {
    const value = row[column];
    if (value !== null) {
      columns.push(column);
      values.push(value);
    }
  }
  const sql =
    `INSERT INTO "LoginAttempt" (${columns.map((column) => `"${column}"`).join(", ")}) ` +
    `VALUES (${columns.map(() => "?").join(", ")})`;
  await raw.runCacheNeutral(sql, values);
}

/** What a user sees of one of their own attempts (auth.history). */
export const ownLoginAttemptSelect = {
  id: true,
  createdAt: true,
  result: true,
  reason: true,
  clientIp: true,
  userAgent: true,
} as const satisfies Prisma.LoginAttemptSelect;

type OwnLoginAttempt = Prisma.LoginAttemptGetPayload<{ select: typeof ownLoginAttemptSelect }>;

/**
 * The network an address belongs to, not the address: IPv4 to its /24 ("203.0.113.0/24"), IPv6 to
 * its /48. Enough for a user to tell "my home or carrier" from "somewhere else"; not a precise trail
 * of where they were for the whole retention period, which anyone holding a stolen token could
 * otherwise read. Unparseable input gives null.
 */
export function addressNetwork(address: string | null): string | null {
  if (!address || !ipaddr.isValid(address)) return null;
  // process() reads an IPv4-mapped IPv6 address (::ffff:203.0.113.7) as the IPv4 address it is.
  const parsed = ipaddr.process(address);
  if (parsed instanceof ipaddr.IPv4)
    return `${ipaddr.IPv4.networkAddressFromCIDR(`${parsed.toString()}/24`).toString()}/24`;
  return `${ipaddr.IPv6.networkAddressFromCIDR(`${parsed.toString()}/48`).toString()}/48`;
}

function toOwnLoginAttemptJson(attempt: OwnLoginAttempt) {
  return {
    id: attempt.id,
    at: attempt.createdAt.toISOString(),
    result: attempt.result as LoginAttemptResult,
    reason: attempt.reason as ErrorReason | null,
    userAgent: attempt.userAgent,
    network: addressNetwork(attempt.clientIp),
  };
}

/**
 * One page of a user's own attempts, newest first: those the flow could attribute to them (a
 * success, or a refusal after WeChat named their openid). `cursor` is the key of the previous page's
 * last row (services/paging.ts), so a page still follows when the retention purge deleted that row
 * meanwhile; only rows of `userId` are ever read.
 */
export async function listOwnLoginAttempts(
  db: Database,
  userId: string,
  page: { limit: number; cursor?: PageKey | null | undefined },
) {
  const rows = await db.loginAttempt.findMany({
    where: { userId, ...olderThan(page.cursor) },
    select: ownLoginAttemptSelect,
    orderBy: newestFirst,
    take: page.limit + 1,
  });
  return toPage(rows, page.limit, toOwnLoginAttemptJson);
}

/**
 * Deletes attempts older than `retentionDays`. Run with the ended-sessions purge (at start and
 * every 6 hours). Returns how many rows went.
 */
export async function purgeLoginHistory(db: Database, now: Date, retentionDays: number): Promise<number> {
  const cutoff = new Date(now.getTime() - retentionDays * 24 * 3600 * 1000);
  const { count } = await db.loginAttempt.deleteMany({ where: { createdAt: { lt: cutoff } } });
  return count;
}
