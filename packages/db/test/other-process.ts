import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

// better-sqlite3 as Prisma's adapter resolves it: the same native module, in a separate process.
const betterSqlite3 = createRequire(createRequire(import.meta.url).resolve("@prisma/adapter-better-sqlite3")).resolve(
  "better-sqlite3",
);

export function tempDatabaseUrl(): { dir: string; file: string; url: string } {
  const dir = mkdtempSync(path.join(tmpdir(), "mp-auth-db-"));
  const file = path.join(dir, "test.db");
  return { dir, file, url: `file:${file}` };
}

export interface OtherProcess {
  readonly child: ChildProcess;
  /** Ends the other process (committing its transaction, if any) and waits for its exit. */
  stop(): Promise<void>;
}

/**
 * Another process with the database file open: a plain reader (`mode: "read"`) or a writer holding
 * the write lock (`BEGIN IMMEDIATE` plus an insert) until stopped, or for `holdMs`.
 */
export async function openInOtherProcess(
  file: string,
  mode: "read" | "write-lock",
  holdMs = 600_000,
): Promise<OtherProcess> {
  const script = `
    const Database = require(${JSON.stringify(betterSqlite3)});
    const db = new Database(${JSON.stringify(file)}, { readonly: ${mode === "read"} });
    db.prepare("SELECT count(*) FROM sqlite_master").get();
    if (${mode === "write-lock"}) db.exec("BEGIN IMMEDIATE; CREATE TABLE IF NOT EXISTS other_process (at TEXT)");
    const end = () => { if (db.inTransaction) db.exec("COMMIT"); db.close(); process.exit(0); };
    process.stdin.on("end", end); process.stdin.resume();
    setTimeout(end, ${holdMs});
    process.stdout.write("ready\\n");
  `;
  const child = spawn(process.execPath, ["-e", script], { stdio: ["pipe", "pipe", "inherit"] });
  await new Promise<void>((resolve, reject) => {
    child.stdout.once("data", () => resolve());
    child.once("exit", (code) => reject(new Error(`other process exited early (${code})`)));
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    child,
    stop: async () => {
      child.stdin.end();
      await exited;
    },
  };
}

/** Counts the largest gap between timer ticks: how long the event loop was blocked. */
export function watchEventLoop(everyMs = 5): { stop: () => number } {
  let last = performance.now();
  let largestGap = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    largestGap = Math.max(largestGap, now - last);
    last = now;
  }, everyMs);
  return {
    stop: () => {
      clearInterval(timer);
      return Math.max(largestGap, performance.now() - last);
    },
  };
}

interface DirectStatement {
  run(...args: unknown[]): unknown;
  all(...args: unknown[]): unknown[];
}
export interface DirectDatabase {
  prepare(sql: string): DirectStatement;
  pragma(pragma: string): unknown;
  exec(sql: string): void;
  close(): void;
}

/** better-sqlite3 opened directly in this process, to arrange a file as a test needs it. */
export function openDirect(file: string, options: { readonly?: boolean } = {}): DirectDatabase {
  const Database = createRequire(import.meta.url)(betterSqlite3) as new (
    file: string,
    options: { readonly?: boolean },
  ) => DirectDatabase;
  return new Database(file, options);
}
