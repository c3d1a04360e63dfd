import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createDatabase, isUniqueConstraintError, migrateDatabase, type Database } from "../src/index.ts";

describe("database", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "mp-auth-db-"));
  const url = `file:${path.join(dir, "test.db")}`;
  let db: Database | undefined;
  afterAll(async () => {
    await db?.$disconnect();
    rmSync(dir, { recursive: true, force: true });
  });

  it("migrates an empty SQLite file and is idempotent", async () => {
    await migrateDatabase(url);
    await migrateDatabase(url);
    db = await createDatabase(url);
    const tables = await db.$queryRawUnsafe<{ name: string }[]>(
      "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name",
    );
    expect(tables.map((t) => t.name)).toEqual(expect.arrayContaining(["User", "Session"]));
  });

  it("enforces one user per appid + openid", async () => {
    await db!.user.create({ data: { appid: "wx1", openid: "o1" } });
    const duplicate = await db!.user.create({ data: { appid: "wx1", openid: "o1" } }).catch((e: unknown) => e);
    expect(isUniqueConstraintError(duplicate)).toBe(true);
    await expect(db!.user.create({ data: { appid: "wx2", openid: "o1" } })).resolves.toBeTruthy();
  });
}, 60_000);
