import { closeOnSignals, ConfigError, startServer } from "./index.ts";

/** `pnpm serve` / `pnpm dev`: the server in the foreground until SIGINT/SIGTERM. */
async function main() {
  let server;
  try {
    server = await startServer({ env: process.env });
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
  closeOnSignals(server);
}

void main();
