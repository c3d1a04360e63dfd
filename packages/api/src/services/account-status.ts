import type { Prisma } from "@mp-auth/db";
import { z } from "zod";
import type { ApiDependencies } from "../context.ts";
import { invalidInputError } from "../error-format.ts";
import { ApiError, sessionRefused } from "../errors.ts";

/**
 * Account status: an operator bans a user (with a reason and an optional end) and lifts the ban.
 * A ban is two columns compared with the clock on every check, so it ends by itself at
 * `bannedUntil` without any job; lifting it early clears them.
 *
 * Where a ban bites:
 * - banUser revokes every live session in the same transaction and then invalidates the session
 *   cache (in-process and Redis alike), so every instance refuses the user's next call;
 * - a call with a revoked session of a banned user is refused with ACCOUNT_BANNED instead of
 *   REVOKED (authenticateSession asks `refusalForRevokedSession`), so the client shows its blocked
 *   screen instead of logging in again;
 * - auth.login reads the ban from the row its user upsert returns, inside the login transaction,
 *   and refuses before the session row is written (`refuseBannedLogin`): a login racing the ban
 *   either sees it or commits first and has its session revoked by it.
 *
 * The operator's reason is stored for operators only: the client gets the taxonomy's reason and the
 * end time, never the note (which may name a ticket, a report or the person).
 */

/** Bounds of an operator's input. */
export const BAN_REASON_MAX_LENGTH = 500;

/** The columns a ban check reads; the login upsert returns them too (users.ts). */
export const banSelect = { bannedAt: true, bannedUntil: true } as const satisfies Prisma.UserSelect;
export type BanColumns = Prisma.UserGetPayload<{ select: typeof banSelect }>;

/** Whether the ban recorded in these columns is in force at `now`. */
export function isBanned(columns: BanColumns, now: Date): boolean {
  return columns.bannedAt !== null && (columns.bannedUntil === null || columns.bannedUntil.getTime() > now.getTime());
}

function bannedError(columns: BanColumns): ApiError {
  return new ApiError("ACCOUNT_BANNED", { blockedUntil: columns.bannedUntil ?? undefined });
}

/** auth.login, inside its transaction: a banned user gets no session (the transaction rolls back). */
export function refuseBannedLogin(user: BanColumns, now: Date): void {
  if (isBanned(user, now)) throw bannedError(user);
}

/**
 * What a call with a revoked session is told: ACCOUNT_BANNED while the user's ban is in force (so
 * the client stops instead of logging in again), REVOKED otherwise. Only read on that refusal path.
 */
export async function refusalForRevokedSession(
  deps: Pick<ApiDependencies, "db">,
  userId: string,
  now: Date,
): Promise<ApiError> {
  const user = await deps.db.user.findUnique({ where: { id: userId }, select: banSelect });
  return user && isBanned(user, now) ? bannedError(user) : sessionRefused("REVOKED");
}

export type AccountState = "active" | "banned" | "deleted";

/** A user's status as an operator sees it. */
export interface AccountStatus {
  userId: string;
  state: AccountState;
  /** The ban in force; null when there is none (never banned, lifted, or past its end). */
  ban: { reason: string; bannedAt: Date; until: Date | null } | null;
  /** When the user deleted the account (services/account-deletion.ts); null otherwise. */
  deletedAt: Date | null;
}

const statusSelect = { id: true, ...banSelect, banReason: true, deletedAt: true } as const satisfies Prisma.UserSelect;
type StatusRow = Prisma.UserGetPayload<{ select: typeof statusSelect }>;

function toAccountStatus(row: StatusRow, now: Date): AccountStatus {
  if (row.deletedAt) return { userId: row.id, state: "deleted", ban: null, deletedAt: row.deletedAt };
  if (row.bannedAt && isBanned(row, now)) {
    return {
      userId: row.id,
      state: "banned",
      ban: { reason: row.banReason ?? "", bannedAt: row.bannedAt, until: row.bannedUntil },
      deletedAt: null,
    };
  }
  return { userId: row.id, state: "active", ban: null, deletedAt: null };
}

type StatusDeps = Pick<ApiDependencies, "db" | "now">;
type BanDeps = Pick<ApiDependencies, "db" | "sessionCache" | "logger" | "now">;

function clock(deps: Pick<ApiDependencies, "now">, now: Date | undefined): Date {
  return now ?? deps.now?.() ?? new Date();
}

/**
 * The operator CLI calls these functions with plain arguments, not through tRPC: they check their
 * input themselves, with the same INVALID_INPUT answer a procedure gives.
 */
export function parseOperatorInput<T extends z.ZodType>(schema: T, input: unknown): z.output<T> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw invalidInputError(parsed.error);
  return parsed.data;
}

const userIdInput = z.string().trim().min(1).max(64);

const banUserInput = z.object({
  userId: userIdInput,
  reason: z.string().trim().min(1).max(BAN_REASON_MAX_LENGTH),
  until: z.date().nullable().optional(),
  now: z.date().optional(),
});

const unbanUserInput = z.object({ userId: userIdInput });
const statusInput = z.object({ userId: userIdInput, now: z.date().optional() });

function unknownUser(): ApiError {
  return new ApiError("NOT_FOUND", { message: "No account has this id." });
}

/** A user's status; NOT_FOUND for an unknown id. */
export async function getAccountStatus(
  deps: StatusDeps,
  input: { userId: string; now?: Date | undefined },
): Promise<AccountStatus> {
  const { userId, now } = parseOperatorInput(statusInput, input);
  const row = await deps.db.user.findUnique({ where: { id: userId }, select: statusSelect });
  if (!row) throw unknownUser();
  return toAccountStatus(row, clock(deps, now));
}

/**
 * Bans a user: `until` null or omitted bans until lifted; a date bans until then (it must be ahead
 * of `now`). Banning a banned user replaces the ban (a new reason or end). Every live session of the
 * user ends now (revokedReason "banned"), on every instance. A deleted account cannot be banned.
 */
export async function banUser(
  deps: BanDeps,
  input: { userId: string; reason: string; until?: Date | null | undefined; now?: Date | undefined },
): Promise<AccountStatus & { sessionsEnded: number }> {
  const { userId, reason, until = null, now: givenNow } = parseOperatorInput(banUserInput, input);
  const now = clock(deps, givenNow);
  if (until && until.getTime() <= now.getTime()) {
    throw new ApiError("INVALID_INPUT", {
      message: "Invalid input: until must be in the future",
      issues: [{ path: "until", code: "too_small", message: "until must be in the future" }],
    });
  }
  const { row, sessionsEnded } = await deps.db.$transaction(async (tx) => {
    const found = await tx.user.findUnique({ where: { id: userId }, select: { deletedAt: true } });
    if (!found || found.deletedAt) throw unknownUser();
    const row = await tx.user.update({
      where: { id: userId },
      data: { bannedAt: now, bannedUntil: until, banReason: reason },
      select: statusSelect,
    });
    const { count } = await tx.session.updateMany({
      where: { userId, revokedAt: null },
      data: { revokedAt: now, revokedReason: "banned" },
    });
    return { row, sessionsEnded: count };
  });
  // After the commit, and awaited: no instance may answer from a cached session once this returns.
  await deps.sessionCache.invalidateUser(userId);
  deps.logger.info({ userId, until: until?.toISOString() ?? null, sessionsEnded }, "user banned");
  return { ...toAccountStatus(row, now), sessionsEnded };
}

/**
 * Lifts a user's ban now (a no-op for a user who is not banned). Sessions the ban ended stay ended:
 * the user signs in again.
 */
export async function unbanUser(deps: BanDeps, input: { userId: string }): Promise<AccountStatus> {
  const { userId } = parseOperatorInput(unbanUserInput, input);
  const { count } = await deps.db.user.updateMany({
    where: { id: userId },
    data: { bannedAt: null, bannedUntil: null, banReason: null },
  });
  if (count === 0) throw unknownUser();
  deps.logger.info({ userId }, "user ban lifted");
  return getAccountStatus(deps, { userId });
}
