import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { assertParsableUrl, assertUsableFile, databaseFilePath } from "./client.ts";
import { databaseProviderOf, supportedDatabaseUrlSchemes } from "./database-url.ts";
import { DatabaseStartError, sqliteCodeOf } from "./errors.ts";
import { compareMigrations, readLocalMigrations, type AppliedRow, type MigrationState } from "./migration-files.ts";
import { providerPaths } from "./provider-schemas.ts";

const run = promisify(execFile);
const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
/** SQLite's migrations: prisma/migrations of the repository, as packages/db/prisma.config.ts names it. */
export const migrationsDir = providerPaths("sqlite").migrations;

export interface MigrationResult {
  /** Migrations `prisma migrate deploy` applied now; empty when nothing was pending (no CLI run). */
  applied: string[];
  /**
   * Applied migrations whose migration.sql changed since (checksum differs). `migrate deploy` does
   * not refuse them either; worth a warning, since the database may differ from the schema.
   */
  changedSinceApplied: string[];
}

/**
 * Brings the database up to its provider's migrations. PostgreSQL and MySQL: see
 * migrateServerDatabase. SQLite (prisma/migrations): checks in-process first (milliseconds): the
 * `_prisma_migrations` table against the migration folders. Only when one is pending (or failed)
 * does it run Prisma's own `prisma migrate deploy`, which takes an exclusive lock on the file and so
 * cannot run while any other process has it open; the check itself takes no lock, so a start beside
 * another reader or writer works whenever nothing is pending.
 *
 * Throws DatabaseStartError (one line) when the CLI fails.
 */
export async function migrateDatabase(url: string): Promise<MigrationResult> {
  const provider = databaseProviderOf(url);
  if (provider === "postgresql" || provider === "mysql") {
    assertParsableUrl(url);
    // Loaded on demand, like the server clients (see createDatabase).
    const { migrateServerDatabase } = await import("./server-migrate.ts");
    return migrateServerDatabase(url, provider);
  }
  if (!provider)
    throw new DatabaseStartError("DATABASE_URL", `it must start with one of: ${supportedDatabaseUrlSchemes}`);
  const file = databaseFilePath(url);
  // The CLI answers a missing folder with "External error id#0": say what is wrong first.
  if (file !== ":memory:") assertUsableFile(file);
  const state = await readMigrationState(url, file);
  if (state.pending.length === 0 && state.failed.length === 0)
    return { applied: [], changedSinceApplied: state.changed };
  await runMigrateDeploy(url, file, state.pending);
  return { applied: state.pending, changedSinceApplied: state.changed };
}

async function readMigrationState(url: string, file: string): Promise<MigrationState> {
  const local = await readLocalMigrations(migrationsDir);
  // A missing file: the CLI creates it. Opening it here would create an empty one first.
  if (file !== ":memory:" && !existsSync(file)) return compareMigrations(local, undefined);

  let rows: AppliedRow[] | undefined;
  // Through Prisma's own driver adapter, read-only queries only: no lock that could stop another
  // process, and a busy timeout of 0 (WAL readers are never blocked by writers).
  const adapter = await new PrismaBetterSQLite3({ url, timeout: 0 }).connect().catch((error: unknown) => {
    throw new DatabaseStartError(file, `it cannot be opened (${sqliteCodeOf(error) ?? firstLine(error)})`);
  });
  try {
    rows = await whileBusy(() => readAppliedRows(adapter));
  } catch (error) {
    if (sqliteCodeOf(error) === "SQLITE_NOTADB") {
      throw new DatabaseStartError(file, "the file is not a SQLite database (SQLITE_NOTADB)");
    }
    throw new DatabaseStartError(file, `its migrations cannot be read (${sqliteCodeOf(error) ?? firstLine(error)})`);
  } finally {
    await adapter.dispose();
  }
  // A started, unfinished, not rolled back migration (failed): `migrate deploy` refuses to go on
  // (P3009) and says how to resolve it; let it say so.
  return compareMigrations(local, rows);
}

async function runMigrateDeploy(url: string, file: string, pending: string[]): Promise<void> {
  const require = createRequire(path.join(packageDir, "package.json"));
  const prismaCli = path.join(path.dirname(require.resolve("prisma/package.json")), "build/index.js");
  try {
    await run(process.execPath, [prismaCli, "migrate", "deploy"], {
      cwd: packageDir,
      env: { ...process.env, DATABASE_URL: url, CHECKPOINT_DISABLE: "1", PRISMA_HIDE_UPDATE_MESSAGE: "1" },
      timeout: 120_000,
    });
  } catch (error) {
    const { stdout = "", stderr = "" } = error as { stdout?: string; stderr?: string };
    const output = `${stderr}\n${stdout}`;
    const names = pending.join(", ") || "none";
    if (/SocketTimeout|SQLITE_BUSY|database is locked/.test(output)) {
      // The schema engine sets `PRAGMA locking_mode=EXCLUSIVE`: any other open connection blocks it.
      throw new DatabaseStartError(
        file,
        `migrations are pending (${names}) and Prisma's migrate needs the file to itself, but another process has it open; stop that process and start again`,
      );
    }
    const reason = output.match(/^Error: .*$|^P\d{4}.*$|^Error.*$/m)?.[0] ?? firstLine(error);
    throw new DatabaseStartError(file, `prisma migrate deploy failed for pending migrations (${names}): ${reason}`, {
      cause: Object.assign(new Error(output.trim()), { name: "PrismaMigrateOutput" }),
    });
  }
}

type Adapter = Awaited<ReturnType<PrismaBetterSQLite3["connect"]>>;

/** The rows of `_prisma_migrations`, or undefined when the table does not exist yet. */
async function readAppliedRows(adapter: Adapter): Promise<AppliedRow[] | undefined> {
  const tables = await adapter.queryRaw({
    sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name = '_prisma_migrations'",
    args: [],
    argTypes: [],
  });
  if (tables.rows.length === 0) return undefined;
  const result = await adapter.queryRaw({
    sql: "SELECT migration_name, checksum, finished_at IS NOT NULL, rolled_back_at IS NOT NULL FROM _prisma_migrations",
    args: [],
    argTypes: [],
  });
  return result.rows.map(([name, checksum, finished, rolledBack]) => ({
    name: String(name),
    checksum: String(checksum),
    finished: Number(finished) === 1,
    rolledBack: Number(rolledBack) === 1,
  }));
}

/**
 * Reads are blocked only by a writer of a file in rollback-journal mode (a database `migrate deploy`
 * just created, before the server switched it to WAL): wait on timers, a few seconds at most.
 */
async function whileBusy<T>(read: () => Promise<T>, budgetMs = 5000): Promise<T> {
  const started = performance.now();
  for (;;) {
    try {
      return await read();
    } catch (error) {
      if (!sqliteCodeOf(error)?.startsWith("SQLITE_BUSY") || performance.now() - started > budgetMs) throw error;
      await sleep(20);
    }
  }
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return (
    text
      .split("\n")
      .find((line) => line.trim())
      ?.trim() ?? "unknown error"
  );
}
