import { ApiError, type WiredApi } from "@mp-auth/api";
import { DatabaseStartError } from "@mp-auth/db";
import { CommanderError } from "commander";
import { ConfigError } from "../env.ts";
import { AdminError, openAdminApi } from "./admin-api.ts";
import { streamOutput } from "./output.ts";
import { createAdminProgram } from "./program.ts";

/**
 * `pnpm admin <command>`. Exit codes: 0 done; 1 the command failed (unknown user or session, Redis
 * or the database unreachable, a bad setting); 2 bad usage (unknown command, missing or invalid
 * argument, a ban ending in the past, a delete without --yes). Errors are one line on stderr (a JSON `{ "error": { message, exitCode } }` with --json).
 */
async function main(argv: string[]): Promise<number> {
  let api: Promise<WiredApi> | undefined;
  const program = createAdminProgram({
    api: () => (api ??= openAdminApi(process.env)),
    out: streamOutput(process.stdout),
    now: () => new Date(),
  });
  const wantsJson = argv.includes("--json");
  const fail = (message: string, exitCode: number) => {
    process.stderr.write(wantsJson ? `${JSON.stringify({ error: { message, exitCode } })}\n` : `${message}\n`);
    return exitCode;
  };
  try {
    await program.parseAsync(argv, { from: "user" });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are answers, not failures; commander has printed the usage problem.
      return error.code === "commander.helpDisplayed" || error.code === "commander.help" ? 0 : 2;
    }
    // The account services check their input as procedures do: INVALID_INPUT is bad usage.
    if (error instanceof ApiError) return fail(error.message, error.reason === "INVALID_INPUT" ? 2 : 1);
    if (error instanceof AdminError || error instanceof ConfigError || error instanceof DatabaseStartError) {
      return fail(error.message, 1);
    }
    // Unexpected: the cause is for the operator's terminal, where the server would log it.
    console.error(error);
    return fail("The command failed unexpectedly (see above).", 1);
  } finally {
    if (api) await (await api.catch(() => undefined))?.close();
  }
}

process.exitCode = await main(process.argv.slice(2));
