import { ConfigError, startServer } from "./index.ts";

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
  const shutdown = (signal: string) => {
    console.error(`${signal} received: shutting down`);
    // In-flight requests get 10 s to finish; after that the process ends anyway.
    setTimeout(() => process.exit(1), 10_000).unref();
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGINT", () => shutdown("SIGINT"));
  process.once("SIGTERM", () => shutdown("SIGTERM"));
}

void main();
