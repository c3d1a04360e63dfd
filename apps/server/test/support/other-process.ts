import { spawn } from "node:child_process";
import { createRequire } from "node:module";

// better-sqlite3 as Prisma's adapter resolves it (through the db package): the same native module.
const requireFromDb = createRequire(createRequire(import.meta.url).resolve("@mp-auth/db"));
const betterSqlite3 = createRequire(requireFromDb.resolve("@prisma/adapter-better-sqlite3")).resolve("better-sqlite3");

export interface LockHolder {
  /** Commits the other process's transaction (releasing the lock) and waits for it to exit. */
  release(): Promise<void>;
}

/**
 * Another `node` process holding SQLite's write lock on `file` (`BEGIN IMMEDIATE`) until released,
 * or for `holdMs` at most, so a failed test cannot leave it behind.
 */
export async function holdWriteLock(file: string, holdMs = 30_000): Promise<LockHolder> {
  const script = `
    const Database = require(${JSON.stringify(betterSqlite3)});
    const db = new Database(${JSON.stringify(file)});
    db.exec("BEGIN IMMEDIATE");
    const end = () => { if (db.inTransaction) db.exec("COMMIT"); db.close(); process.exit(0); };
    process.stdin.on("end", end); process.stdin.resume();
    setTimeout(end, ${holdMs});
    process.stdout.write("locked\\n");
  `;
  const child = spawn(process.execPath, ["-e", script], { stdio: ["pipe", "pipe", "inherit"] });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.stdout.once("data", () => resolve());
    child.once("exit", (code) => reject(new Error(`the lock holder exited early (${code})`)));
  });
  return {
    release: async () => {
      child.stdin.end();
      await exited;
    },
  };
}
