import { existsSync, openSync, readSync, closeSync, rmSync } from "node:fs";
import { endianness } from "node:os";
import { afterAll, describe, expect, it } from "vitest";
import { createDatabase, migrateDatabase, type Database, type DatabaseOptions } from "../src/index.ts";
import { SAFETY_AUTOCHECKPOINT_PAGES, SQLITE_DEFAULT_AUTOCHECKPOINT_PAGES } from "../src/wal-checkpointer.ts";
import { tempDatabaseUrl } from "./other-process.ts";

/**
 * WAL checkpoints on a worker thread (wal-checkpointer.ts): the server's connection then leaves
 * checkpoints to it, and takes them back whenever the worker is not there.
 */

const temps: string[] = [];
const opened: Database[] = [];
afterAll(async () => {
  for (const db of opened) await db.$disconnect().catch(() => {});
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

async function open(options: DatabaseOptions = {}) {
  const t = tempDatabaseUrl();
  temps.push(t.dir);
  await migrateDatabase(t.url);
  const db = await createDatabase(t.url, options);
  opened.push(db);
  return { db, file: t.file };
}

async function autoCheckpointPages(db: Database): Promise<number> {
  const [row] = await db.$queryRawUnsafe<{ wal_autocheckpoint: bigint | number }[]>("PRAGMA wal_autocheckpoint");
  return Number(row!.wal_autocheckpoint);
}

/** Frames in the WAL and frames already copied into the database file, from the WAL-index (-shm). */
function walProgress(file: string): { frames: number; backfilled: number } {
  const fd = openSync(`${file}-shm`, "r");
  try {
    const bytes = Buffer.alloc(100);
    readSync(fd, bytes, 0, 100, 0);
    const u32 = (offset: number) => (endianness() === "LE" ? bytes.readUInt32LE(offset) : bytes.readUInt32BE(offset));
    // https://www.sqlite.org/walformat.html: mxFrame at byte 16 of the header, nBackfill at 96.
    return { frames: u32(16), backfilled: u32(96) };
  } finally {
    closeSync(fd);
  }
}

async function eventually(check: () => Promise<boolean> | boolean, timeoutMs = 5000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return check();
}

async function writeSome(db: Database, count: number): Promise<void> {
  for (let index = 0; index < count; index++) {
    await db.user.create({ data: { appid: "wx-checkpoint", openid: `o-${index}-${Math.random()}` } });
  }
}

describe("WAL checkpoints on a worker thread", () => {
  it("copies the WAL into the database file within the interval, not in a commit", async () => {
    const { db, file } = await open({ sqliteCheckpoints: { intervalMs: 50 } });
    await eventually(async () => (await autoCheckpointPages(db)) === SAFETY_AUTOCHECKPOINT_PAGES);
    expect(await autoCheckpointPages(db)).toBe(SAFETY_AUTOCHECKPOINT_PAGES);
    await writeSome(db, 30);
    // Far fewer pages than the server connection's own threshold: only the worker can have done it.
    expect(walProgress(file).frames).toBeLessThan(SAFETY_AUTOCHECKPOINT_PAGES);
    expect(walProgress(file).frames).toBeGreaterThan(0);
    expect(await eventually(() => walProgress(file).backfilled === walProgress(file).frames)).toBe(true);
  });

  it("ends with the database: the server's close still removes -wal and -shm", async () => {
    const { db, file } = await open({ sqliteCheckpoints: { intervalMs: 50 } });
    await writeSome(db, 5);
    await db.$disconnect();
    expect(existsSync(`${file}-wal`)).toBe(false);
    expect(existsSync(`${file}-shm`)).toBe(false);
  });

  it("leaves SQLite's own checkpoints on when the worker cannot start", async () => {
    const workerUrl = new URL("./fixtures/unstartable-checkpoint-worker.mjs", import.meta.url);
    const { db } = await open({ sqliteCheckpoints: { workerUrl, intervalMs: 50 } });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await autoCheckpointPages(db)).toBe(SQLITE_DEFAULT_AUTOCHECKPOINT_PAGES);
    await writeSome(db, 3);
  });

  it("gives checkpoints back to the server's connection when the worker crashes", async () => {
    const workerUrl = new URL("./fixtures/crashing-checkpoint-worker.mjs", import.meta.url);
    const { db } = await open({ sqliteCheckpoints: { workerUrl, intervalMs: 50 } });
    // It said ready (the server's connection handed checkpoints over), then crashed.
    expect(await eventually(async () => (await autoCheckpointPages(db)) === SAFETY_AUTOCHECKPOINT_PAGES, 2000)).toBe(
      true,
    );
    expect(
      await eventually(async () => (await autoCheckpointPages(db)) === SQLITE_DEFAULT_AUTOCHECKPOINT_PAGES, 3000),
    ).toBe(true);
    await writeSome(db, 3);
  });

  it("keeps SQLite's own checkpoints when asked to", async () => {
    const { db } = await open({ sqliteCheckpoints: false });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await autoCheckpointPages(db)).toBe(SQLITE_DEFAULT_AUTOCHECKPOINT_PAGES);
  });
});
