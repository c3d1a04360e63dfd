import type http from "node:http";
import type { Duplex } from "node:stream";
import { wholeNumberSetting } from "./env-number.ts";
import { lastResponses } from "./last-responses.ts";

/**
 * Stopping cleanly.
 *
 * A process manager (systemd, Docker, Kubernetes, pm2) stops a service by signalling the process it
 * started, SIGTERM (or SIGINT from a terminal), then SIGKILL after its own timeout. Two things make
 * that work:
 * - the signalled process must be the server, or hand the signal to it: `pnpm serve` runs node
 *   directly under pnpm with `exec` (pnpm forwards SIGTERM/SIGINT to its child and waits for it),
 *   never through a second pnpm, a shell that stays, or the tsx launcher; see the scripts.
 * - the server drains: no new connections, idle kept-alive connections closed, requests in flight
 *   answered with `Connection: close` (a client's next request on that socket would otherwise race
 *   the close and meet a reset), all within a grace period, then whatever is left is cut.
 */

/** How long a shutdown may take before connections are cut and the process exits anyway. */
export const DEFAULT_SHUTDOWN_GRACE_MS = 10_000;

/** SHUTDOWN_GRACE_MS for the server's env schema: spread into its `z.object({...})`. */
export const shutdownEnvShape = {
  SHUTDOWN_GRACE_MS: wholeNumberSetting(0, 600_000, DEFAULT_SHUTDOWN_GRACE_MS, "ms"),
};

export interface HttpDrain {
  /** True once `close` was called. */
  readonly draining: boolean;
  /**
   * Stops accepting connections, closes idle kept-alive ones, makes every response from now on carry
   * `Connection: close` (then closes its socket), and after `graceMs` cuts the connections still
   * open. Resolves when the server has closed; `forced` tells whether the grace period ran out.
   * Calling it again returns the same promise.
   */
  close(graceMs: number): Promise<{ forced: boolean }>;
}

/**
 * Attaches drain tracking to a server. Call it right after `http.createServer`, before `listen`,
 * so it sees every request.
 */
export function createHttpDrain(server: http.Server): HttpDrain {
  // Per connection, not per request: a kept-alive connection carries many requests.
  const connections = new Set<Duplex>();
  server.on("connection", (socket: Duplex) => {
    connections.add(socket);
    socket.on("close", () => connections.delete(socket));
  });
  const lastResponseOf = lastResponses(server);
  let closing: Promise<{ forced: boolean }> | undefined;

  /**
   * Asks Node to end the connection after this response. Possible only before the headers go out;
   * a response whose headers already said keep-alive has its socket closed once it is idle.
   */
  const endConnectionAfter = (res: http.ServerResponse) => {
    if (!res.headersSent) res.setHeader("connection", "close");
  };
  // A connection whose answer said keep-alive is idle once that answer is written; while draining
  // nothing else would close it.
  const closeIdleSoon = () => setImmediate(() => server.closeIdleConnections());

  // Prepended, so it runs before the application's listener writes anything.
  server.prependListener("request", (_req: http.IncomingMessage, res: http.ServerResponse) => {
    if (closing) endConnectionAfter(res);
  });

  /** The connections answering right now: the last answer of each (earlier pipelined ones go out first). */
  const endConnectionsInFlight = () => {
    for (const connection of connections) {
      const res = lastResponseOf(connection);
      if (res === undefined || res.writableFinished) continue;
      endConnectionAfter(res);
      res.once("close", closeIdleSoon);
    }
  };

  return {
    get draining() {
      return closing !== undefined;
    },
    close: (graceMs) =>
      (closing ??= new Promise((resolve) => {
        let forced = false;
        const deadline = setTimeout(() => {
          forced = true;
          server.closeAllConnections();
        }, graceMs);
        deadline.unref();
        endConnectionsInFlight();
        // close() stops listening and, since Node 19, closes the connections idle right now.
        server.close(() => {
          clearTimeout(deadline);
          resolve({ forced });
        });
        server.closeIdleConnections();
      })),
  };
}

export interface ExitOnSignalsOptions {
  /** The graceful stop (e.g. the running server's `close()`); the process exits when it settles. */
  stop: () => Promise<unknown>;
  /** After this long the process exits even if `stop` has not finished (exit code 1). */
  graceMs: number;
  /** Where the one-line notices go (stderr by default). */
  log?: (message: string) => void;
  /** Injected by tests; `process.exit` by default. */
  exit?: (code: number) => void;
  /** Injected by tests; `process` by default. */
  signalSource?: Pick<NodeJS.EventEmitter, "on" | "off">;
}

const SIGNAL_NUMBERS = { SIGINT: 2, SIGTERM: 15 } as const;

/**
 * On the first SIGTERM or SIGINT: run `stop`, then exit 0 (1 if it failed or outlasted `graceMs`
 * plus a second for closing the database). A second signal exits at once with 128 + its number, as
 * an unhandled signal would: the operator pressing Ctrl-C twice means "now".
 * Returns a function that removes the handlers.
 */
export function exitOnSignals({
  stop,
  graceMs,
  log = (message) => process.stderr.write(`${message}\n`),
  exit = (code) => process.exit(code),
  signalSource = process,
}: ExitOnSignalsOptions): () => void {
  let stopping = false;
  const onSignal = (signal: keyof typeof SIGNAL_NUMBERS) => {
    if (stopping) {
      log(`${signal} received again: exiting now`);
      exit(128 + SIGNAL_NUMBERS[signal]);
      return;
    }
    stopping = true;
    log(`${signal} received: draining (up to ${graceMs} ms; send it again to exit now)`);
    // The HTTP drain cuts connections at graceMs; the extra second lets the database close.
    const deadline = setTimeout(() => {
      log("shutdown took too long: exiting");
      exit(1);
    }, graceMs + 1_000);
    deadline.unref();
    stop().then(
      () => {
        clearTimeout(deadline);
        exit(0);
      },
      (error: unknown) => {
        clearTimeout(deadline);
        log(`shutdown failed: ${error instanceof Error ? error.message : String(error)}`);
        exit(1);
      },
    );
  };
  const onTerm = () => onSignal("SIGTERM");
  const onInt = () => onSignal("SIGINT");
  signalSource.on("SIGTERM", onTerm);
  signalSource.on("SIGINT", onInt);
  return () => {
    signalSource.off("SIGTERM", onTerm);
    signalSource.off("SIGINT", onInt);
  };
}
