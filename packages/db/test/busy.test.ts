import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DatabaseBusyError,
  createDatabase,
  databaseErrorReason,
  migrateDatabase,
  type Database,
} from "../src/index.ts";
import { openInOtherProcess, tempDatabaseUrl, watchEventLoop } from "./other-process.ts";

describe("a write lock held by another process", () => {
  const { dir, file, url } = tempDatabaseUrl();
  let db: Database;
  beforeAll(async () => {
    await migrateDatabase(url);
    db = await createDatabase(url, { busyTimeoutMs: 2500 });
    await db.user.create({ data: { appid: "wx", openid: "existing" } });
  });
  afterAll(async () => {
    await db.$disconnect();
    rmSync(dir, { recursive: true, force: true });
  });

  it("keeps the event loop and reads going, then fails the write with DatabaseBusyError", async () => {
    const other = await openInOtherProcess(file, "write-lock");
    try {
      const loop = watchEventLoop();
      const events: string[] = [];
      const write = db.user.create({ data: { appid: "wx", openid: "blocked" } }).then(
        () => events.push("write succeeded"),
        (error: unknown) => {
          events.push("write failed");
          return error;
        },
      );
      // Reads answer while the write waits (WAL readers do not need the write lock).
      for (let i = 0; i < 5; i++) {
        expect(await db.user.count()).toBe(1);
        events.push("read");
      }
      const error = await write;
      const largestGapMs = loop.stop();
      expect(events).toEqual(["read", "read", "read", "read", "read", "write failed"]);
      expect(error).toBeInstanceOf(DatabaseBusyError);
      expect(databaseErrorReason(error)).toBe("DATABASE_BUSY");
      expect((error as Error).message).toContain(file);
      // The driver's own busy wait blocked the loop for the whole timeout; now the loop only pauses for
      // a statement at a time. Generous bound: far below the 2.5 s budget.
      expect(largestGapMs).toBeLessThan(1000);
    } finally {
      await other.stop();
    }
    await expect(db.user.count()).resolves.toBe(1);
  });

  it("succeeds once the lock is released within the budget, also in a transaction", async () => {
    const other = await openInOtherProcess(file, "write-lock", 400);
    const single = db.user.create({ data: { appid: "wx", openid: "after-release" } });
    const transaction = db.$transaction(async (tx) => {
      const user = await tx.user.create({ data: { appid: "wx", openid: "in-transaction" } });
      return tx.session.create({
        data: { userId: user.id, tokenHash: "hash-1", expiresAt: new Date(Date.now() + 60_000) },
      });
    });
    await expect(single).resolves.toMatchObject({ openid: "after-release" });
    await expect(transaction).resolves.toMatchObject({ tokenHash: "hash-1" });
    await other.stop();
    expect(await db.user.count()).toBe(3);
  });

  it("fails a transaction with DatabaseBusyError and leaves nothing behind", async () => {
    const other = await openInOtherProcess(file, "write-lock");
    try {
      const error = await db
        .$transaction(async (tx) => tx.user.create({ data: { appid: "wx", openid: "never" } }))
        .catch((e: unknown) => e);
      expect(databaseErrorReason(error)).toBe("DATABASE_BUSY");
    } finally {
      await other.stop();
    }
    expect(await db.user.count({ where: { openid: "never" } })).toBe(0);
    // The connection is free again: a write goes through.
    await expect(db.user.create({ data: { appid: "wx", openid: "later" } })).resolves.toBeTruthy();
  });

  it("keeps a concurrent statement out of an open transaction that rolls back", async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const transaction = db
      .$transaction(async (tx) => {
        await tx.user.create({ data: { appid: "wx", openid: "rolled-back" } });
        await held;
        throw new Error("roll back");
      })
      .catch(() => "rolled back");
    // Issued while the transaction is open on the one connection: it must not join it.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const outside = db.user.create({ data: { appid: "wx", openid: "outside" } });
    release();
    await expect(transaction).resolves.toBe("rolled back");
    await expect(outside).resolves.toBeTruthy();
    expect(await db.user.count({ where: { openid: { in: ["rolled-back", "outside"] } } })).toBe(1);
  });
});
