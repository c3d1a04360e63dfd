// The same behaviour on SQLite, PostgreSQL and MariaDB/MySQL: each run migrates its own fresh
// database (see @mp-auth/db/testing), so parallel runs never collide.
import mariadb from "mariadb";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import {
  DatabaseStartError,
  checkDatabaseHealth,
  createDatabase,
  databaseErrorReason,
  isUniqueConstraintError,
  migrateDatabase,
  rawTransaction,
  readTimestamp,
  type Database,
  type RawTransaction,
} from "../src/index.ts";
import { mariadbPoolConfig } from "../src/server-database.ts";
import { availableTestEngines, createTestDatabase, type TestDatabase, type TestEngine } from "../src/testing.ts";

const engines = await availableTestEngines();

const dropping: TestDatabase[] = [];
const opened: Database[] = [];
afterAll(async () => {
  for (const db of opened) await db.$disconnect().catch(() => {});
  for (const database of dropping) await database.drop();
});

async function fresh(engine: TestEngine): Promise<TestDatabase> {
  const database = await createTestDatabase(engine);
  dropping.push(database);
  return database;
}
async function migrated(engine: TestEngine, options = {}): Promise<{ db: Database; url: string }> {
  const { url } = await fresh(engine);
  await migrateDatabase(url);
  const db = await createDatabase(url, options);
  opened.push(db);
  return { db, url };
}

const expectedFirstMigrations: Record<TestEngine, string[]> = {
  sqlite: [
    "20261122000000_init",
    "20261122010000_phone_unique",
    "20261202000000_avatar_files",
    "20261203000000_account_status",
    "20261204000000_login_history",
    "20261205000000_notes",
  ],
  postgresql: [
    "20261201000000_init",
    "20261202000000_avatar_files",
    "20261203000000_account_status",
    "20261204000000_login_history",
    "20261205000000_notes",
  ],
  mysql: [
    "20261201000000_init",
    "20261202000000_avatar_files",
    "20261203000000_account_status",
    "20261204000000_login_history",
    "20261205000000_notes",
  ],
};

describe.each(engines)("on %s", (engine) => {
  it("applies every migration once, then finds nothing pending", async () => {
    const { url } = await fresh(engine);
    await expect(migrateDatabase(url)).resolves.toEqual({
      applied: expectedFirstMigrations[engine],
      changedSinceApplied: [],
    });
    await expect(migrateDatabase(url)).resolves.toEqual({ applied: [], changedSinceApplied: [] });
  });

  it("reports unique-constraint violations as P2002 (the first-login race)", async () => {
    const { db } = await migrated(engine);
    await db.user.create({ data: { appid: "wx1", openid: "o-1" } });
    const error = await db.user.create({ data: { appid: "wx1", openid: "o-1" } }).catch((e: unknown) => e);
    expect(isUniqueConstraintError(error)).toBe(true);
    expect(databaseErrorReason(error)).toBeUndefined();
    // The same openid in another app is another user.
    await expect(db.user.create({ data: { appid: "wx2", openid: "o-1" } })).resolves.toBeTruthy();
  });

  it("treats openid, unionid and token hashes as case-sensitive", async () => {
    const { db } = await migrated(engine);
    const upper = await db.user.create({ data: { appid: "wx", openid: "oABCdef", unionid: "uXYZ" } });
    const lower = await db.user.create({ data: { appid: "wx", openid: "oabcdef", unionid: "uxyz" } });
    expect(lower.id).not.toBe(upper.id);
    const found = await db.user.findUnique({ where: { appid_openid: { appid: "wx", openid: "oabcdef" } } });
    expect(found?.id).toBe(lower.id);
    expect((await db.user.findMany({ where: { unionid: "uXYZ" } })).map((u) => u.id)).toEqual([upper.id]);
    const expiresAt = new Date(Date.now() + 60_000);
    await db.session.create({ data: { userId: upper.id, tokenHash: "ABCDEF", expiresAt } });
    await expect(
      db.session.create({ data: { userId: lower.id, tokenHash: "abcdef", expiresAt } }),
    ).resolves.toBeTruthy();
    expect(await db.session.findUnique({ where: { tokenHash: "abcdef" } })).toMatchObject({ userId: lower.id });
  });

  it("stores long text, emoji and millisecond timestamps as given", async () => {
    const { db } = await migrated(engine);
    const avatarUrl = `https://example.com/${"a".repeat(1000)}`;
    // 20 graphemes of a family emoji: 7 code points each, far beyond a VARCHAR(191).
    const nickname = "👨‍👩‍👧‍👦".repeat(20);
    const userAgent = "Mozilla/5.0 ".repeat(21).slice(0, 256);
    const at = new Date("2026-01-02T03:04:05.678Z");
    const user = await db.user.create({ data: { appid: "wx", openid: "o", nickname, avatarUrl, phoneBoundAt: at } });
    const session = await db.session.create({
      data: { userId: user.id, tokenHash: "h", expiresAt: at, userAgent, clientIp: "2001:db8::1" },
    });
    const read = await db.user.findUniqueOrThrow({ where: { id: user.id }, include: { sessions: true } });
    expect(read.nickname).toBe(nickname);
    expect(read.avatarUrl).toBe(avatarUrl);
    expect(read.phoneBoundAt?.toISOString()).toBe(at.toISOString());
    expect(read.sessions[0]?.expiresAt.toISOString()).toBe(at.toISOString());
    expect(read.sessions[0]?.userAgent).toBe(userAgent);
    // Deleting a user deletes its sessions (foreign key ON DELETE CASCADE).
    await db.user.delete({ where: { id: user.id } });
    expect(await db.session.findUnique({ where: { id: session.id } })).toBeNull();
  });

  it("answers the health probe", async () => {
    const { db } = await migrated(engine);
    await expect(checkDatabaseHealth(db)).resolves.toEqual({ ok: true });
  });
});

const serverEngines = engines.filter((engine): engine is "postgresql" | "mysql" => engine !== "sqlite");

describe.each(serverEngines)("server database %s", (engine) => {
  const unreachable = {
    postgresql: "postgresql://app:s3cret-pass@127.0.0.1:1/app",
    mysql: "mysql://app:s3cret-pass@127.0.0.1:1/app",
  }[engine];

  it("names an unreachable server in one line, without the password", async () => {
    for (const attempt of [
      () => migrateDatabase(unreachable),
      () => createDatabase(unreachable, { connectTimeoutMs: 1000 }),
    ]) {
      const error = await attempt().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DatabaseStartError);
      const message = (error as Error).message;
      expect(message).toContain(`${engine}://127.0.0.1:1/app`);
      expect(message).toContain("cannot be reached");
      expect(message).not.toContain("s3cret");
      expect(message).not.toContain("\n");
    }
  });

  it("applies each migration once when several instances start at the same time", async () => {
    const { url } = await fresh(engine);
    const results = await Promise.all([migrateDatabase(url), migrateDatabase(url), migrateDatabase(url)]);
    expect(results.flatMap((result) => result.applied)).toEqual(expectedFirstMigrations[engine]);
  });

  if (engine === "mysql")
    it("accepts mariadb:// as well as mysql://", async () => {
      const { url } = await fresh(engine);
      const alias = url.replace(/^mysql:/, "mariadb:");
      await expect(migrateDatabase(alias)).resolves.toMatchObject({
        applied: [
          "20261201000000_init",
          "20261202000000_avatar_files",
          "20261203000000_account_status",
          "20261204000000_login_history",
          "20261205000000_notes",
        ],
      });
      const db = await createDatabase(alias);
      opened.push(db);
      await expect(db.user.count()).resolves.toBe(0);
    });

  it("fails a write blocked by another connection's lock with DATABASE_BUSY after busyTimeoutMs", async () => {
    const { db, url } = await migrated(engine, { busyTimeoutMs: 1000 });
    const user = await db.user.create({ data: { appid: "wx", openid: "locked" } });
    const other = await holdRowLock(engine, url, user.id);
    try {
      const started = performance.now();
      const error = await db.user
        .update({ where: { id: user.id }, data: { nickname: "blocked" } })
        .catch((e: unknown) => e);
      const waited = performance.now() - started;
      expect(databaseErrorReason(error)).toBe("DATABASE_BUSY");
      expect(waited).toBeGreaterThanOrEqual(900);
      expect(waited).toBeLessThan(5000);
    } finally {
      await other.release();
    }
    await expect(db.user.update({ where: { id: user.id }, data: { nickname: "later" } })).resolves.toBeTruthy();
  });

  if (engine === "mysql")
    it("answers DATABASE_BUSY, not DATABASE_UNAVAILABLE, when every pooled connection is lent out", async () => {
      // The MariaDB pool holds 10 connections: 10 open transactions take them all, the 11th call
      // waits acquireTimeout (connectTimeoutMs + 1 s) and gets the pool's 45028, naming a full pool.
      const { db } = await migrated(engine, { connectTimeoutMs: 500 });
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let started = 0;
      const holders = Array.from({ length: 10 }, () =>
        rawTransaction(db, async (tx) => {
          await tx.rows("SELECT 1 AS one", []);
          started++;
          await gate;
        }),
      );
      try {
        await expect.poll(() => started, { timeout: 10_000 }).toBe(10);
        const error = await db.user.count().catch((e: unknown) => e);
        expect(databaseErrorReason(error), String(error)).toBe("DATABASE_BUSY");
      } finally {
        release();
        await Promise.all(holders);
      }
      await expect(db.user.count()).resolves.toBe(0);
    });

  it("reports a database that went away as DATABASE_UNAVAILABLE, in queries and in the health probe", async () => {
    const database = await createTestDatabase(engine);
    await migrateDatabase(database.url);
    const db = await createDatabase(database.url, { connectTimeoutMs: 1000 });
    try {
      await db.user.count();
      await database.drop();
      const error = await db.user.count().catch((e: unknown) => e);
      expect(databaseErrorReason(error), JSON.stringify((error as { meta?: unknown }).meta ?? String(error))).toBe(
        "DATABASE_UNAVAILABLE",
      );
      const health = await checkDatabaseHealth(db, 3000);
      expect(health).toMatchObject({ ok: false, reason: "DATABASE_UNAVAILABLE" });
    } finally {
      await db.$disconnect().catch(() => {});
    }
  });
});

/** Another connection holding a row lock (SELECT ... FOR UPDATE in an open transaction). */
async function holdRowLock(
  engine: "postgresql" | "mysql",
  url: string,
  userId: string,
): Promise<{ release(): Promise<void> }> {
  if (engine === "postgresql") {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query("BEGIN");
    await client.query('SELECT id FROM "User" WHERE id = $1 FOR UPDATE', [userId]);
    return {
      release: async () => {
        await client.query("ROLLBACK");
        await client.end();
      },
    };
  }
  const connection = await mariadb.createConnection(mariadbPoolConfig(url));
  await connection.beginTransaction();
  await connection.query("SELECT id FROM `User` WHERE id = ? FOR UPDATE", [userId]);
  return {
    release: async () => {
      await connection.rollback();
      await connection.end();
    },
  };
}

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

// rawTransaction: what it writes is what Prisma reads, it commits or rolls back as a whole, and its
// errors are read like Prisma's.
describe.each(engines)("rawTransaction on %s", (engine) => {
  it("commits rows Prisma reads back, timestamps included, and reads its own writes", async () => {
    const { db } = await migrated(engine);
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
    const { db } = await migrated(engine);
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
    const { db } = await migrated(engine);
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
