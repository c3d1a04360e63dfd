import {
  findUsers,
  listUserLoginAttempts,
  listUserSessions,
  OPERATOR_LOGINS_MAX,
  revokeSessionAsOperator,
  userLookupKinds,
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
      const users = await findUsers(api.db, by, value);
      if (users.length === 0) throw new AdminError(`No user with ${by} ${value}.`);
      if (json()) return out.json({ users });
      users.forEach((user, index) => {
        if (index > 0) out.line("");
        printUser(out, user);
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

  return program;
}
