import { rmSync, truncateSync } from "node:fs";
import { createRequire } from "node:module";
import { afterAll, describe, expect, it } from "vitest";
import { createDatabase, migrateDatabase, rawQueryOf, type Database, type RawQuery } from "../src/index.ts";
import { tempDatabaseUrl } from "./other-process.ts";

/**
 * RawQuery.changeStamp: the in-process session cache's exactness rests on it. It must move on any
 * commit by another connection and on any write of this process, and stay put for reads and for
 * runCacheNeutral writes (a session's lastUsedAt), whatever the order.
 */

// better-sqlite3 as Prisma's adapter resolves it: a second, independent connection to the file.
type OtherConnection = {
  exec(sql: string): void;
  prepare(sql: string): { run(...args: unknown[]): unknown };
  close(): void;
};
const BetterSqlite3 = createRequire(createRequire(import.meta.url).resolve("@prisma/adapter-better-sqlite3"))(
  "better-sqlite3",
) as new (file: string) => OtherConnection;

const opened: Database[] = [];
const others: OtherConnection[] = [];
const temps: string[] = [];
afterAll(async () => {
  for (const other of others) other.close();
  for (const db of opened) await db.$disconnect().catch(() => {});
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

async function setUp(): Promise<{ db: Database; raw: RawQuery; other: OtherConnection; file: string }> {
  const t = tempDatabaseUrl();
  temps.push(t.dir);
  await migrateDatabase(t.url);
  const db = await createDatabase(t.url, { fileCheckIntervalMs: 60_000 });
  opened.push(db);
  await db.$executeRawUnsafe("CREATE TABLE stamp_probe (id INTEGER PRIMARY KEY, value TEXT)");
  await db.$executeRawUnsafe("INSERT INTO stamp_probe (id, value) VALUES (1, 'a')");
  const raw = rawQueryOf(db);
  if (!raw) throw new Error("no raw connection");
  const other = new BetterSqlite3(t.file);
  others.push(other);
  return { db, raw, other, file: t.file };
}

describe("changeStamp (SQLite)", () => {
  it("stays put while nothing is written, reads included", async () => {
    const { raw } = await setUp();
    const stamp = raw.changeStamp();
    expect(stamp).toBeDefined();
    await raw.rows("SELECT value FROM stamp_probe WHERE id = ?", ["1"]);
    expect(raw.changeStamp()).toBe(stamp);
    expect(raw.changeStamp()).toBe(stamp);
  });

  it("moves on every commit of another connection", async () => {
    const { raw, other } = await setUp();
    const stamps = new Set<string | undefined>([raw.changeStamp()]);
    for (const value of ["b", "c", "d"]) {
      other.prepare("UPDATE stamp_probe SET value = ? WHERE id = 1").run(value);
      stamps.add(raw.changeStamp());
    }
    expect(stamps.size).toBe(4);
  });

  it("moves on this process's own writes through Prisma", async () => {
    const { db, raw } = await setUp();
    const stamp = raw.changeStamp();
    await db.$executeRawUnsafe("UPDATE stamp_probe SET value = 'own' WHERE id = 1");
    expect(raw.changeStamp()).not.toBe(stamp);
  });

  it("stays put for runCacheNeutral writes, which commit", async () => {
    const { raw } = await setUp();
    const stamp = raw.changeStamp();
    for (const value of ["n1", "n2", "n3"]) {
      expect(await raw.runCacheNeutral("UPDATE stamp_probe SET value = ? WHERE id = 1", [value])).toBe(1);
      expect(raw.changeStamp()).toBe(stamp);
    }
    const [row] = await raw.rows("SELECT value FROM stamp_probe WHERE id = ?", ["1"]);
    expect(row?.value).toBe("n3");
  });

  it("still moves when another connection committed before a runCacheNeutral write it had not seen", async () => {
    const { raw, other } = await setUp();
    const stamp = raw.changeStamp();
    other.prepare("UPDATE stamp_probe SET value = ? WHERE id = 1").run("external");
    await raw.runCacheNeutral("UPDATE stamp_probe SET value = ? WHERE id = 1", ["neutral"]);
    expect(raw.changeStamp()).not.toBe(stamp);
  });

  it("moves when another connection committed right after a runCacheNeutral write", async () => {
    const { raw, other } = await setUp();
    await raw.runCacheNeutral("UPDATE stamp_probe SET value = ? WHERE id = 1", ["neutral"]);
    const stamp = raw.changeStamp();
    other.prepare("UPDATE stamp_probe SET value = ? WHERE id = 1").run("external");
    expect(raw.changeStamp()).not.toBe(stamp);
  });

  it("moves across the other connection's checkpoints and WAL restarts", async () => {
    const { raw, other } = await setUp();
    const stamps = new Set<string | undefined>();
    for (let round = 0; round < 3; round++) {
      stamps.add(raw.changeStamp());
      other.exec("PRAGMA wal_checkpoint(TRUNCATE)");
      other.prepare("UPDATE stamp_probe SET value = ? WHERE id = 1").run(`after-restart-${round}`);
      const stamp = raw.changeStamp();
      expect(stamps.has(stamp)).toBe(false);
      stamps.add(stamp);
    }
  });

  it("is undefined (changed) once the file watch has found a problem, without touching the truncated -shm", async () => {
    const { db, raw, file } = await setUp();
    expect(raw.changeStamp()).toBeDefined();
    truncateSync(`${file}-shm`, 0);
    // What the periodic check finds (DATABASE_FILE_CHECK_INTERVAL_MS), made to run now.
    await expect(db.$queryRawUnsafe("SELECT 1")).rejects.toThrow(/-shm/);
    expect(raw.changeStamp()).toBeUndefined();
  });
});
