import { readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DatabaseStartError, migrateDatabase, migrationChecksums, migrationsDir } from "../src/index.ts";
import { openDirect, openInOtherProcess, tempDatabaseUrl } from "./other-process.ts";

/** Every SQLite migration, in order: a new migration is added here. */
const sqliteMigrations = [
  "20261122000000_init",
  "20261122010000_phone_unique",
  "20261202000000_avatar_files",
  "20261203000000_account_status",
  "20261204000000_login_history",
  "20261205000000_notes",
];

const temps: string[] = [];
function temp() {
  const t = tempDatabaseUrl();
  temps.push(t.dir);
  return t;
}
afterAll(() => temps.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

describe("migrateDatabase", () => {
  it("applies every migration to a new file, then finds nothing pending without running the CLI", async () => {
    const { url } = temp();
    const first = await migrateDatabase(url);
    expect(first.applied).toEqual(sqliteMigrations);
    const again = await migrateDatabase(url);
    expect(again).toEqual({ applied: [], changedSinceApplied: [] });
  });

  it("computes the checksums Prisma stores", async () => {
    const { url, file } = temp();
    await migrateDatabase(url);
    const db = openDirect(file, { readonly: true });
    const rows = db.prepare("SELECT migration_name, checksum FROM _prisma_migrations").all() as {
      migration_name: string;
      checksum: string;
    }[];
    db.close();
    for (const row of rows) {
      const sql = readFileSync(path.join(migrationsDir, row.migration_name, "migration.sql"), "utf8");
      expect(migrationChecksums(sql)).toContain(row.checksum);
    }
    expect(rows).toHaveLength(sqliteMigrations.length);
  });

  // Before: `prisma migrate deploy` ran at every start and its schema engine sets
  // locking_mode=EXCLUSIVE, so any other open connection made it fail with
  // "WASM_ERROR: unknown variant SocketTimeout" and the server exited.
  it.each(["read", "write-lock"] as const)("starts while another process has the file open (%s)", async (mode) => {
    const { url, file } = temp();
    await migrateDatabase(url);
    const wal = openDirect(file);
    wal.pragma("journal_mode = WAL"); // as createDatabase leaves it
    wal.close();
    const other = await openInOtherProcess(file, mode);
    try {
      await expect(migrateDatabase(url)).resolves.toEqual({ applied: [], changedSinceApplied: [] });
    } finally {
      await other.stop();
    }
  });

  it("says in one line why a pending migration cannot run while another process has the file open", async () => {
    const { url, file } = temp();
    await migrateDatabase(url);
    const db = openDirect(file);
    db.pragma("journal_mode = WAL");
    db.prepare("DELETE FROM _prisma_migrations WHERE migration_name = ?").run("20261122010000_phone_unique");
    db.close();
    const other = await openInOtherProcess(file, "read");
    try {
      const error = await migrateDatabase(url).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DatabaseStartError);
      const message = (error as Error).message;
      expect(message).not.toContain("\n");
      expect(message).toContain(file);
      expect(message).toContain("20261122010000_phone_unique");
      expect(message).toContain("another process has it open");
    } finally {
      await other.stop();
    }
  });

  it("reports a migration changed since it was applied, without refusing to start", async () => {
    const { url, file } = temp();
    await migrateDatabase(url);
    const db = openDirect(file);
    db.prepare("UPDATE _prisma_migrations SET checksum = 'x' WHERE migration_name = ?").run("20261122000000_init");
    db.close();
    await expect(migrateDatabase(url)).resolves.toEqual({ applied: [], changedSinceApplied: ["20261122000000_init"] });
  });

  it("refuses a file that is not a database in one line naming it", async () => {
    const { url, file } = temp();
    writeFileSync(file, "this is not a SQLite database, just some text long enough to fill a header".repeat(20));
    const error = await migrateDatabase(url).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseStartError);
    expect((error as Error).message).toBe(
      `Cannot use the database ${file}: the file is not a SQLite database (SQLITE_NOTADB).`,
    );
  });
});
