// rawTransaction on SQLite, PostgreSQL and MariaDB/MySQL: what it writes is what Prisma reads, it
// commits or rolls back as a whole, and its errors are read like Prisma's.
import { afterAll, describe, expect, it } from "vitest";
import {
  createDatabase,
  isUniqueConstraintError,
  migrateDatabase,
  rawTransaction,
  readTimestamp,
  type Database,
  type RawTransaction,
} from "../src/index.ts";
import { availableTestEngines, createTestDatabase, type TestDatabase } from "../src/testing.ts";

const engines = await availableTestEngines();

const dropping: TestDatabase[] = [];
const opened: Database[] = [];
afterAll(async () => {
  for (const db of opened) await db.$disconnect().catch(() => {});
  for (const database of dropping) await database.drop();
});

function sqlFor(tx: RawTransaction) {
  const q = (name: string) => (tx.dialect === "mysql" ? `\`${name}\`` : `"${name}"`);
  const p = (index: number) => (tx.dialect === "postgres" ? `$${index}` : "?");
  return {
    insertUser:
      `INSERT INTO ${q("User")} (${q("id")}, ${q("appid")}, ${q("openid")}, ${q("createdAt")}, ${q("updatedAt")}, ` +
      `${q("lastLoginAt")}) VALUES (${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}, ${p(5)}, ${p(6)})`,
    selectUser: `SELECT ${q("openid")}, ${q("createdAt")} FROM ${q("User")} WHERE ${q("id")} = ${p(1)}`,
  };
}

describe.each(engines)("rawTransaction on %s", (engine) => {
  async function migrated(): Promise<Database> {
    const database = await createTestDatabase(engine);
    dropping.push(database);
    await migrateDatabase(database.url);
    const db = await createDatabase(database.url);
    opened.push(db);
    return db;
  }

  it("commits rows Prisma reads back, timestamps included, and reads its own writes", async () => {
    const db = await migrated();
    const at = new Date("2026-11-30T10:11:12.345Z");
    const row = await rawTransaction(db, async (tx) => {
      const sql = sqlFor(tx);
      expect(await tx.run(sql.insertUser, ["u-1", "wx1", "o-1", at, at, at])).toBe(1);
      const [read] = await tx.rows(sql.selectUser, ["u-1"]);
      return read;
    });
    expect(row?.openid).toBe("o-1");
    expect(readTimestamp(row?.createdAt).toISOString()).toBe(at.toISOString());
    const user = await db.user.findUniqueOrThrow({ where: { id: "u-1" }, select: { openid: true, lastLoginAt: true } });
    expect(user).toEqual({ openid: "o-1", lastLoginAt: at });
  });

  it("rolls everything back when the work throws, and rethrows", async () => {
    const db = await migrated();
    const at = new Date();
    const failure = new Error("refused after the insert");
    await expect(
      rawTransaction(db, async (tx) => {
        await tx.run(sqlFor(tx).insertUser, ["u-2", "wx1", "o-2", at, at, at]);
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(await db.user.count({ where: { id: "u-2" } })).toBe(0);
    // The connection is usable again (the lock or pooled connection was released).
    await rawTransaction(db, (tx) => tx.run(sqlFor(tx).insertUser, ["u-3", "wx1", "o-3", at, at, at]));
    expect(await db.user.count()).toBe(1);
  });

  it("reports a unique violation as isUniqueConstraintError, writing nothing", async () => {
    const db = await migrated();
    const at = new Date();
    await rawTransaction(db, (tx) => tx.run(sqlFor(tx).insertUser, ["u-4", "wx1", "o-4", at, at, at]));
    const error = await rawTransaction(db, async (tx) => {
      await tx.run(sqlFor(tx).insertUser, ["u-5", "wx1", "o-5", at, at, at]);
      await tx.run(sqlFor(tx).insertUser, ["u-6", "wx1", "o-4", at, at, at]);
    }).catch((e: unknown) => e);
    expect(isUniqueConstraintError(error)).toBe(true);
    expect(await db.user.count()).toBe(1);
  });
});
