import { chmodSync, renameSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  DatabaseStartError,
  DatabaseUnavailableError,
  checkDatabaseHealth,
  createDatabase,
  databaseErrorReason,
  migrateDatabase,
  type Database,
  type DatabaseOptions,
} from "../src/index.ts";
import { tempDatabaseUrl } from "./other-process.ts";

const opened: Database[] = [];
const temps: string[] = [];
async function migrated(options: DatabaseOptions = { fileCheckIntervalMs: 200 }) {
  const t = tempDatabaseUrl();
  temps.push(t.dir);
  await migrateDatabase(t.url);
  const db = await createDatabase(t.url, options);
  opened.push(db);
  return { ...t, db };
}
afterAll(async () => {
  for (const db of opened) await db.$disconnect().catch(() => {});
  for (const dir of temps) {
    chmodSync(dir, 0o755);
    rmSync(dir, { recursive: true, force: true });
  }
});

async function eventually<T>(read: () => Promise<T>, accept: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = await read();
    if (accept(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("database health", () => {
  it("is ok for a working file, and the probe answers quickly", async () => {
    const { db } = await migrated();
    await expect(checkDatabaseHealth(db)).resolves.toEqual({ ok: true });
  });

  it("reports a deleted file and fails writes with DatabaseUnavailableError", async () => {
    const { db, file } = await migrated();
    for (const suffix of ["", "-wal", "-shm"]) rmSync(file + suffix, { force: true });
    const health = await checkDatabaseHealth(db);
    expect(health).toMatchObject({ ok: false, reason: "DATABASE_UNAVAILABLE" });
    expect(!health.ok && health.problem).toContain("deleted");
    // The periodic check (every 200 ms here) marks it without a probe; writes then fail fast.
    const error = await db.user.create({ data: { appid: "wx", openid: "lost" } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseUnavailableError);
    expect(databaseErrorReason(error)).toBe("DATABASE_UNAVAILABLE");
    expect((error as Error).message).toBe(
      `The database ${file} is unavailable: its file was deleted while the server had it open.`,
    );
  });

  it("notices a deletion by itself within the check interval", async () => {
    const { db, file } = await migrated();
    rmSync(file);
    const error = await eventually(
      () =>
        db.user.create({ data: { appid: "wx", openid: `o${Math.random()}` } }).then(
          () => undefined,
          (e: unknown) => e,
        ),
      (value) => value !== undefined,
    );
    expect(error).toBeInstanceOf(DatabaseUnavailableError);
  });

  // Reproduced before: truncating -shm under an open connection, then any statement, ended the
  // process with SIGBUS (exit 135); mmap_size is 0 already, the mapping is WAL's shared memory.
  it("refuses statements instead of crashing (SIGBUS) when -shm was truncated", async () => {
    const { db, file } = await migrated();
    await db.user.create({ data: { appid: "wx", openid: "before" } });
    truncateSync(`${file}-shm`, 0);
    const error = await db.user.count().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseUnavailableError);
    expect((error as Error).message).toContain("-shm");
    const health = await checkDatabaseHealth(db);
    expect(!health.ok && health.problem).toContain("-shm");
  });

  it("reports a file replaced by another one", async () => {
    const { db, file, dir } = await migrated();
    const other = path.join(dir, "other.db");
    writeFileSync(other, "");
    renameSync(other, file);
    const health = await checkDatabaseHealth(db);
    expect(!health.ok && health.problem).toContain("replaced");
  });
});

describe("database start errors", () => {
  it("names the file and the problem in one line for a file that is not a database", async () => {
    const { dir, file, url } = tempDatabaseUrl();
    temps.push(dir);
    writeFileSync(file, "not a database ".repeat(100));
    const error = await createDatabase(url).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseStartError);
    expect((error as Error).message).toBe(
      `Cannot use the database ${file}: the file is not a SQLite database (SQLITE_NOTADB).`,
    );
  });

  it("names a folder that cannot be created", async () => {
    const { dir } = tempDatabaseUrl();
    temps.push(dir);
    const blocker = path.join(dir, "a-file");
    writeFileSync(blocker, "");
    const file = path.join(blocker, "sub", "test.db");
    const error = await createDatabase(`file:${file}`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseStartError);
    expect((error as Error).message).toBe(
      `Cannot use the database ${file}: its folder does not exist and cannot be created (ENOTDIR).`,
    );
  });

  it("creates a missing folder", async () => {
    const { dir } = tempDatabaseUrl();
    temps.push(dir);
    const url = `file:${path.join(dir, "new", "folder", "test.db")}`;
    await migrateDatabase(url);
    const db = await createDatabase(url);
    opened.push(db);
    await expect(checkDatabaseHealth(db)).resolves.toEqual({ ok: true });
  });

  it("keeps WAL mode and foreign keys on", async () => {
    const { db } = await migrated();
    const [journal] = await db.$queryRawUnsafe<{ journal_mode: string }[]>("PRAGMA journal_mode");
    const [keys] = await db.$queryRawUnsafe<{ foreign_keys: bigint | number }[]>("PRAGMA foreign_keys");
    expect(journal?.journal_mode).toBe("wal");
    expect(Number(keys?.foreign_keys)).toBe(1);
  });

  it("syncs at checkpoints by default and at every commit with sqliteSynchronous full", async () => {
    const synchronous = async (db: Database) =>
      Number((await db.$queryRawUnsafe<{ synchronous: bigint | number }[]>("PRAGMA synchronous"))[0]?.synchronous);
    const { db } = await migrated();
    expect(await synchronous(db)).toBe(1); // NORMAL
    const { db: durable } = await migrated({ fileCheckIntervalMs: 200, sqliteSynchronous: "full" });
    expect(await synchronous(durable)).toBe(2); // FULL
  });
});
