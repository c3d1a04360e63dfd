// @ts-check
/**
 * The worker thread behind wal-checkpointer.ts: its own connection to the server's SQLite file runs
 * `PRAGMA wal_checkpoint(PASSIVE)` when the main thread asks, so that the checkpoint's two fsyncs
 * (WAL, then the database file) never run on the event loop. PASSIVE never waits for a lock and
 * never blocks a writer: commits go on appending to the WAL while pages are copied.
 *
 * Plain JavaScript on purpose: a worker thread is started from a file, and the same file serves
 * vitest (TypeScript sources) and the production bundle (whose build keeps import.meta.url pointing
 * at this folder), without a loader.
 *
 * From the parent: { type: "checkpoint", shmSize } (the largest -shm size its file watch has seen)
 * and { type: "close" }. To the parent: { type: "ready" } once the connection is open, then one
 * { type: "done" } or { type: "failed", problem } per checkpoint asked for.
 */
import { statSync } from "node:fs";
import { createRequire } from "node:module";
import { parentPort, workerData } from "node:worker_threads";

const require = createRequire(import.meta.url);
// The very copy of better-sqlite3 (and so of SQLite) that Prisma's adapter loads: two copies of
// SQLite in one process do not see each other's POSIX locks and can corrupt the file
// (https://www.sqlite.org/howtocorrupt.html, "Multiple copies of SQLite linked into the same application").
/** @type {typeof import("better-sqlite3")} */
const Database = createRequire(require.resolve("@prisma/adapter-better-sqlite3"))("better-sqlite3");

/** SQLite maps -shm in regions of 32 KB and grows the file to whole regions before mapping one. */
const SHM_REGION_BYTES = 32 * 1024;

const port = parentPort;
if (!port) throw new Error("wal-checkpoint-worker.mjs runs as a worker thread only");
const { file } = /** @type {{ file: string }} */ (workerData);

const opened = statSync(file);
// timeout 0: a PASSIVE checkpoint never waits for a lock anyway; nothing here may block. Opening
// reads nothing; every statement (even a PRAGMA, which loads the schema) waits for the check below.
const db = new Database(file, { fileMustExist: true, timeout: 0 });
let configured = false;
let shmSizeSeen = 0;

/**
 * SQLite maps -shm into memory, and touching that mapping after another program truncated the file
 * is a SIGBUS for the whole process. The main thread refuses statements then (file-health.ts);
 * this is the same check, against the largest size either thread has seen, right before the
 * checkpoint. Also: the file is still the one opened.
 * @param {number} shmSizeOfParent
 * @returns {"skip" | undefined}
 */
function unsafeToTouch(shmSizeOfParent) {
  try {
    const now = statSync(file);
    if (now.ino !== opened.ino || now.dev !== opened.dev) return "skip";
    const size = statSync(`${file}-shm`).size;
    if (size < SHM_REGION_BYTES || size < Math.max(shmSizeSeen, shmSizeOfParent)) return "skip";
    shmSizeSeen = size;
    return undefined;
  } catch {
    // Gone: the main thread's file watch reports it; nothing to checkpoint into.
    return "skip";
  }
}

port.on("message", (/** @type {{ type: "checkpoint"; shmSize: number } | { type: "close" }} */ message) => {
  if (message.type === "close") {
    try {
      // Safe while the parent's connection is open, whatever happened to -shm: SQLite shares the
      // mapping within the process and only the last connection to close unmaps it or checkpoints.
      db.close();
    } finally {
      port.close();
    }
    return;
  }
  if (unsafeToTouch(message.shmSize)) return port.postMessage({ type: "done" });
  try {
    if (!configured) {
      // A checkpoint syncs the WAL before copying it and the database file after, at NORMAL as at FULL.
      db.pragma("synchronous = NORMAL");
      configured = true;
    }
    db.pragma("wal_checkpoint(PASSIVE)");
    port.postMessage({ type: "done" });
  } catch (error) {
    const code = /** @type {{ code?: unknown }} */ (error).code;
    // Another process's checkpoint holds the checkpoint lock: the next one tries again.
    if (typeof code === "string" && code.startsWith("SQLITE_BUSY")) return port.postMessage({ type: "done" });
    port.postMessage({ type: "failed", problem: `a checkpoint failed (${typeof code === "string" ? code : "error"})` });
  }
});

port.postMessage({ type: "ready" });
