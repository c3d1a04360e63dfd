import { Worker } from "node:worker_threads";
import type { FileHealthMonitor } from "./file-health.ts";

/**
 * SQLite's WAL checkpoints on a worker thread instead of inside a commit.
 *
 * By default SQLite checkpoints in the commit that grows the WAL past 1000 pages: that commit then
 * copies the WAL into the database file and fsyncs both, 4 ms and more here, while better-sqlite3
 * holds the event loop, so every request in flight waits too (it was most of a login's p99). Here a
 * worker thread with its own connection (wal-checkpoint-worker.mjs) runs a PASSIVE checkpoint every
 * `intervalMs`, which also bounds how long a commit stays unsynced (SQLITE_SYNCHRONOUS=normal) to
 * about that interval.
 *
 * The main thread decides when, right after its file watch's guard found the file fine (the same
 * guard every statement passes), and hands the worker the largest -shm size seen, which the worker
 * checks again before it touches SQLite's -shm mapping. The server's connection keeps an automatic
 * checkpoint at a far larger WAL (`SAFETY_AUTOCHECKPOINT_PAGES`) in case the worker falls behind,
 * and goes back to SQLite's default when the worker fails or ends: checkpoints never stop.
 */
export interface WalCheckpointer {
  /** Closes the worker's connection and ends it; call before closing the server's connection. */
  stop(): Promise<void>;
}

/** What a caller may choose: how often, and (tests) which worker script. */
export interface WalCheckpointSettings {
  /** Default DEFAULT_CHECKPOINT_INTERVAL_MS. */
  intervalMs?: number;
  /** The worker script; tests substitute one. */
  workerUrl?: URL;
}

export interface WalCheckpointerOptions extends WalCheckpointSettings {
  file: string;
  monitor: FileHealthMonitor;
  /** Sets the server connection's `PRAGMA wal_autocheckpoint` (pages). */
  setAutoCheckpoint: (pages: number) => void;
}

export const DEFAULT_CHECKPOINT_INTERVAL_MS = 200;
/** SQLite's own default (SQLITE_DEFAULT_WAL_AUTOCHECKPOINT). */
export const SQLITE_DEFAULT_AUTOCHECKPOINT_PAGES = 1000;
/** About 40 MB of WAL at 4 KB pages: only reached if the worker cannot keep up. */
export const SAFETY_AUTOCHECKPOINT_PAGES = 10_000;
const STOP_TIMEOUT_MS = 2000;

const defaultWorkerUrl = new URL("./wal-checkpoint-worker.mjs", import.meta.url);

type WorkerMessage = { type: "ready" } | { type: "done" } | { type: "failed"; problem: string };

export function startWalCheckpointer(options: WalCheckpointerOptions): WalCheckpointer {
  const { file, monitor, setAutoCheckpoint } = options;
  let worker: Worker;
  try {
    worker = new Worker(options.workerUrl ?? defaultWorkerUrl, {
      workerData: { file },
      // A few MB of heap is plenty for one statement at a time.
      resourceLimits: { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 32 },
    });
  } catch {
    // Could not even start: SQLite's own checkpoints stay on (nothing was changed yet).
    return { stop: async () => {} };
  }

  let ready = false;
  let inFlight = false;
  let ended = false;
  const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
  // Whatever ends the worker's work, the server's connection checkpoints by itself again.
  const end = () => {
    if (ended) return;
    ended = true;
    clearInterval(timer);
    if (ready) setAutoCheckpoint(SQLITE_DEFAULT_AUTOCHECKPOINT_PAGES);
  };

  const timer = setInterval(() => {
    if (!ready || inFlight || ended) return;
    // The file watch's problems (deleted, replaced, -shm shrunk) stop statements; checkpoints too.
    if (monitor.guard()) return;
    inFlight = true;
    worker.postMessage({ type: "checkpoint", shmSize: monitor.shmSize() });
  }, options.intervalMs ?? DEFAULT_CHECKPOINT_INTERVAL_MS);
  timer.unref();

  worker.on("message", (message: WorkerMessage) => {
    if (message.type === "ready" && !ended) {
      ready = true;
      setAutoCheckpoint(SAFETY_AUTOCHECKPOINT_PAGES);
    } else if (message.type === "done") {
      inFlight = false;
    } else if (message.type === "failed") {
      end();
      void worker.terminate();
    }
  });
  // A start-up failure (the file cannot be opened there) or a crash of the worker.
  worker.on("error", end);
  worker.on("exit", end);
  // Never what keeps a finished process (a test, a script) alive. After the listeners: adding a
  // "message" listener refs the worker's port again.
  worker.unref();

  return {
    async stop() {
      if (!ended) {
        ended = true;
        clearInterval(timer);
        worker.postMessage({ type: "close" });
      }
      const kill = setTimeout(() => void worker.terminate(), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(kill);
    },
  };
}
