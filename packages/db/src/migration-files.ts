import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { readFile, readdir } from "node:fs/promises";
import path from "node:path";

export interface LocalMigration {
  name: string;
  sql: string;
}

/** The migration folders of `dir` that hold a migration.sql, in the order Prisma applies them. */
export async function readLocalMigrations(dir: string): Promise<LocalMigration[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const folders = entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name);
  // Prisma applies folders in lexicographic order of their names (timestamp prefixes).
  folders.sort();
  const migrations: LocalMigration[] = [];
  for (const name of folders) {
    const sqlFile = path.join(dir, name, "migration.sql");
    if (existsSync(sqlFile)) migrations.push({ name, sql: await readFile(sqlFile, "utf8") });
  }
  return migrations;
}

/**
 * The checksum Prisma stores in `_prisma_migrations.checksum`: the SHA-256 of migration.sql, in hex
 * (verified against rows written by `migrate deploy`). A file checked out with CRLF line ends counts
 * as unchanged too (a Windows clone).
 */
export function migrationChecksums(sql: string): string[] {
  const sha = (text: string) => createHash("sha256").update(text, "utf8").digest("hex");
  const lf = sql.replace(/\r\n/g, "\n");
  return lf === sql ? [sha(sql)] : [sha(sql), sha(lf)];
}

/** One row of Prisma's `_prisma_migrations`, as far as deciding what is pending goes. */
export type AppliedRow = { name: string; checksum: string; finished: boolean; rolledBack: boolean };

export interface MigrationState {
  pending: string[];
  changed: string[];
  /** Migrations started and neither finished nor rolled back (Prisma's P3009 state). */
  failed: string[];
}

/** Compares the folders with the rows: what is pending, changed since applied, failed. */
export function compareMigrations(local: LocalMigration[], rows: AppliedRow[] | undefined): MigrationState {
  if (rows === undefined) return { pending: local.map((m) => m.name), changed: [], failed: [] };
  const done = rows.filter((row) => row.finished && !row.rolledBack);
  const pending: string[] = [];
  const changed: string[] = [];
  for (const migration of local) {
    const applied = done.find((row) => row.name === migration.name);
    if (!applied) pending.push(migration.name);
    else if (!migrationChecksums(migration.sql).includes(applied.checksum)) changed.push(migration.name);
  }
  const failed = rows.filter((row) => !row.finished && !row.rolledBack).map((row) => row.name);
  return { pending, changed, failed };
}
