import { ConfigError, startServer } from "./index.ts";
import { DEFAULT_SHUTDOWN_GRACE_MS, exitOnSignals } from "./shutdown.ts";

/** `pnpm serve` / `pnpm dev`: the server in the foreground until SIGINT/SIGTERM. */
async function main() {
  const starting = startServer({ env: process.env });
  // Installed before start-up finishes: a signal during migrations waits for them, then drains,
  // rather than killing node under a running migration. A second signal exits at once.
  exitOnSignals({ stop: async () => (await starting).close(), graceMs: DEFAULT_SHUTDOWN_GRACE_MS });
  try {
    await starting;
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
}

void main();
