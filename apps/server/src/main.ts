import { DatabaseStartError } from "@mp-auth/db";
import { devLogDestination, printDevBanner } from "./dev-banner.ts";
import { ConfigError, parseServerEnv, startServer } from "./index.ts";
import { exitOnSignals } from "./shutdown.ts";

/**
 * `pnpm serve` / `pnpm dev`: the server in the foreground until SIGINT/SIGTERM. Problems an
 * operator fixes by hand (a bad setting, an unusable database file) print one line, no stack.
 */
async function main() {
  try {
    const { SHUTDOWN_GRACE_MS } = parseServerEnv(process.env);
    const starting = startServer({ env: process.env, logDestination: await devLogDestination(process.env) });
    // Installed before start-up finishes: a signal during migrations waits for them, then drains,
    // rather than killing node under a running migration. A second signal exits at once.
    exitOnSignals({ stop: async () => (await starting).close(), graceMs: SHUTDOWN_GRACE_MS });
    printDevBanner(await starting, process.env);
  } catch (error) {
    if (error instanceof ConfigError || error instanceof DatabaseStartError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
}

void main();
