import {
  banUser,
  deleteAccount,
  findUsers,
  getAccountStatus,
  listUserLoginAttempts,
  listUserSessions,
  OPERATOR_LOGINS_MAX,
  revokeSessionAsOperator,
  unbanUser,
  userLookupKinds,
  type AccountStatus,
  type UserLookupKind,
  type WiredApi,
} from "@mp-auth/api";
import { Argument, Command, InvalidArgumentError } from "commander";
import { AdminError } from "./admin-api.ts";
import { printTable, printUser, type Output } from "./output.ts";

/** What every command gets: the API, opened on first use, and where to write. */
export interface AdminRuntime {
  api(): Promise<WiredApi>;
  out: Output;
  now(): Date;
}

/** Ids, openids, unionids and phone numbers are short: anything longer is a mistake, not a lookup. */
const MAX_ARGUMENT_LENGTH = 128;

function boundedText(value: string): string {
  const trimmed = value.trim();
  if (!trimmed) throw new InvalidArgumentError("must not be empty.");
  if (trimmed.length > MAX_ARGUMENT_LENGTH)
    throw new InvalidArgumentError(`must be at most ${MAX_ARGUMENT_LENGTH} characters.`);
  return trimmed;
}

function loginLimit(value: string): number {
  const limit = Number(value);
  if (!Number.isInteger(limit) || limit < 1 || limit > OPERATOR_LOGINS_MAX) {
    throw new InvalidArgumentError(`must be a whole number from 1 to ${OPERATOR_LOGINS_MAX}.`);
  }
  return limit;
}

/** An ISO-8601 time with a date and a time, e.g. 2026-12-31T00:00:00Z. */
function isoTime(value: string): Date {
  const time = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(time.getTime())) {
    throw new InvalidArgumentError("must be an ISO-8601 time such as 2026-12-31T00:00:00Z.");
  }
  return time;
}

function describeStatus(status: AccountStatus): string {
  if (status.state === "deleted") return `deleted ${status.deletedAt!.toISOString()}`;
  if (status.state === "active" || !status.ban) return "active";
  const until = status.ban.until ? `until ${status.ban.until.toISOString()}` : "until lifted";
  return `banned ${until}: ${status.ban.reason}`;
}

async function requireUser(api: WiredApi, userId: string) {
  const [user] = await findUsers(api.db, "id", userId);
  if (!user) throw new AdminError(`No user with id ${userId}.`);
  return user;
}

/**
 * `pnpm admin <command>`: the operator's commands. Each prints a human answer, or with `--json` one
 * JSON document on stdout for scripts. Errors go to stderr with a non-zero exit (main.ts).
 */
export function createAdminProgram(runtime: AdminRuntime): Command {
  const { out } = runtime;
  const program = new Command("pnpm admin")
    .description("Operator commands for mp-auth, on the database and Redis the server's environment names.")
    .option("--json", "print one JSON document on stdout (for scripts)")
    .showHelpAfterError("(pnpm admin --help lists the commands)")
    // Before the commands are added, which inherit it: usage errors throw (main.ts: exit code 2).
    .exitOverride();
  const json = () => program.opts<{ json?: boolean }>().json === true;

  program
    .command("find")
    .description(
      "Find users by id, openid, unionid or phone number (openid, unionid and phone may match users of several apps).",
    )
    .addArgument(new Argument("<by>", "what the value is").choices(userLookupKinds))
    .addArgument(new Argument("<value>", "the id, openid, unionid or phone number").argParser(boundedText))
    .action(async (by: UserLookupKind, value: string) => {
      const api = await runtime.api();
      const found = await findUsers(api.db, by, value);
      if (found.length === 0) throw new AdminError(`No user with ${by} ${value}.`);
      const users = await Promise.all(
        found.map(async (user) => ({ ...user, status: await getAccountStatus(api, { userId: user.id }) })),
      );
      if (json()) return out.json({ users });
      users.forEach((user, index) => {
        if (index > 0) out.line("");
        printUser(out, user, describeStatus(user.status));
      });
      if (by === "unionid" && users.length > 1) {
        out.line("");
        out.line(
          `${users.length} users of different apps share this unionid: the same person (accounts are kept apart).`,
        );
      }
    });

  program
    .command("sessions")
    .description("List a user's sessions, newest first (live ones unless --all).")
    .argument("<userId>", "the user's id", boundedText)
    .option("--all", "also list ended sessions still kept (SESSION_RETENTION_DAYS)")
    .action(async (userId: string, options: { all?: boolean }) => {
      const api = await runtime.api();
      await requireUser(api, userId);
      const sessions = await listUserSessions(api.db, userId, runtime.now(), options.all === true);
      if (json()) return out.json({ userId, sessions });
      if (sessions.length === 0) return out.line(options.all ? "No sessions." : "No live sessions.");
      printTable(out, ["SESSION", "STATE", "CREATED", "LAST USED", "EXPIRES", "IP", "USER AGENT"], sessions, (s) => [
        s.id,
        s.revokedReason ? `${s.state} (${s.revokedReason})` : s.state,
        s.createdAt,
        s.lastUsedAt,
        s.expiresAt,
        s.clientIp,
        s.userAgent,
      ]);
    });

  program
    .command("logins")
    .description("List a user's recent login attempts, newest first (LOGIN_HISTORY_RETENTION_DAYS are kept).")
    .argument("<userId>", "the user's id", boundedText)
    .option("--limit <n>", `how many (1-${OPERATOR_LOGINS_MAX})`, loginLimit, 20)
    .action(async (userId: string, options: { limit: number }) => {
      const api = await runtime.api();
      await requireUser(api, userId);
      const logins = await listUserLoginAttempts(api.db, userId, options.limit);
      if (json()) return out.json({ userId, logins });
      if (logins.length === 0) return out.line("No login attempts recorded.");
      printTable(out, ["TIME", "RESULT", "REASON", "APPID", "IP", "USER AGENT"], logins, (login) => [
        login.createdAt,
        login.result,
        login.reason,
        login.appid,
        login.clientIp,
        login.userAgent,
      ]);
    });

  program
    .command("revoke-session")
    .description("End one session: its token is refused on its next call, on every instance.")
    .argument("<sessionId>", "the session's id (from `sessions`)", boundedText)
    .action(async (sessionId: string) => {
      const api = await runtime.api();
      const result = await revokeSessionAsOperator(api, sessionId, runtime.now());
      if (result.outcome === "not-found") throw new AdminError(`No session with id ${sessionId}.`);
      if (json()) return out.json({ sessionId, ...result });
      out.line(
        result.outcome === "revoked"
          ? `Session ${sessionId} of user ${result.userId} revoked.`
          : `Session ${sessionId} of user ${result.userId} had already ended (${result.state}).`,
      );
    });

  program
    .command("ban")
    .description(
      "Ban a user: every session ends now, on every instance, and logins are refused (ACCOUNT_BANNED) until the ban ends or is lifted.",
    )
    .argument("<userId>", "the user's id", boundedText)
    .requiredOption("--reason <text>", "why, for operators (the user is never shown it)")
    .option("--until <time>", "when the ban ends by itself (ISO-8601); without it, until `unban`", isoTime)
    .action(async (userId: string, options: { reason: string; until?: Date }) => {
      const api = await runtime.api();
      await requireUser(api, userId);
      const banned = await banUser(api, { userId, reason: options.reason, until: options.until ?? null });
      if (json()) return out.json(banned);
      out.line(`User ${userId} ${describeStatus(banned)}; ${banned.sessionsEnded} session(s) ended.`);
    });

  program
    .command("unban")
    .description("Lift a user's ban now (sessions the ban ended stay ended: the user signs in again).")
    .argument("<userId>", "the user's id", boundedText)
    .action(async (userId: string) => {
      const api = await runtime.api();
      await requireUser(api, userId);
      const status = await unbanUser(api, { userId });
      if (json()) return out.json(status);
      out.line(`User ${userId} is ${describeStatus(status)}.`);
    });

  program
    .command("delete")
    .description(
      "Delete an account as user.deleteAccount does: personal data erased, sessions and login history deleted, a tombstone kept.",
    )
    .argument("<userId>", "the user's id", boundedText)
    .option("--yes", "confirm: this cannot be undone")
    .action(async (userId: string, options: { yes?: boolean }) => {
      if (!options.yes) program.error("error: deleting an account cannot be undone: add --yes to confirm.");
      const api = await runtime.api();
      await requireUser(api, userId);
      const { sessionsEnded } = await deleteAccount(api, { userId });
      if (json()) return out.json({ userId, deleted: true, sessionsEnded });
      out.line(`User ${userId} deleted; ${sessionsEnded} session(s) ended.`);
    });

  return program;
}
