import { randomUUID } from "node:crypto";
import mariadb from "mariadb";
import pg from "pg";
import { describeDatabaseUrl } from "./database-url.ts";
import { DatabaseStartError, databaseErrorReason, describeDriverError } from "./errors.ts";
import {
  compareMigrations,
  migrationChecksums,
  readLocalMigrations,
  type AppliedRow,
  type LocalMigration,
} from "./migration-files.ts";
import type { MigrationResult } from "./migrate.ts";
import { providerPaths } from "./provider-schemas.ts";
import { mariadbPoolConfig, postgresqlConnection } from "./server-database.ts";

/**
 * `prisma migrate deploy` for PostgreSQL and MySQL/MariaDB, in process. Prisma 6.19's CLI cannot
 * do it offline: in js-engine mode its bundled wasm schema engine has no MySQL connector at all, and
 * on PostgreSQL it fails on `_prisma_migrations` with "Column type 'name' could not be deserialized"
 * (an open Prisma bug with @prisma/adapter-pg); the native engine that could is a download. So this
 * does what deploy does, on the same `_prisma_migrations` table (same columns, same checksums, same
 * lock), so Prisma's own CLI, where it works, sees the same state:
 *
 * - reads the applied rows without a lock; nothing pending: done (the usual start);
 * - otherwise takes Prisma's migration lock (PostgreSQL advisory lock 72707369, MySQL
 *   GET_LOCK('prisma_migrate')), so several instances starting at once apply each migration once,
 *   reads again, refuses to go on past a failed migration (Prisma's P3009), and applies each pending
 *   migration: a row with started_at, the script, then finished_at and applied_steps_count = 1; a
 *   failure leaves its logs in the row and stops the start.
 *
 * PostgreSQL runs a script in one implicit transaction (several statements in one simple query), so
 * a failed migration leaves nothing half done; MySQL commits each DDL statement by itself, so a
 * failed MySQL migration may be half applied: fix by hand, then mark the row rolled back.
 */
export async function migrateServerDatabase(url: string, provider: "postgresql" | "mysql"): Promise<MigrationResult> {
  const target = describeDatabaseUrl(url);
  const local = await readLocalMigrations(providerPaths(provider).migrations);
  const session = await openSession(url, provider, target);
  try {
    let state = compareMigrations(local, await session.appliedRows());
    if (state.pending.length === 0 && state.failed.length === 0)
      return { applied: [], changedSinceApplied: state.changed };

    await session.lock();
    try {
      await session.ensureTable();
      state = compareMigrations(local, await session.appliedRows());
      if (state.failed.length > 0) {
        throw new DatabaseStartError(
          target,
          `migration ${state.failed.join(", ")} failed before and was not resolved (its logs are in _prisma_migrations); ` +
            `repair the database, then mark it rolled back: UPDATE _prisma_migrations SET rolled_back_at = CURRENT_TIMESTAMP WHERE migration_name = '${state.failed[0]}'`,
        );
      }
      const applied: string[] = [];
      for (const migration of local.filter((m) => state.pending.includes(m.name))) {
        await session.apply(migration);
        applied.push(migration.name);
      }
      return { applied, changedSinceApplied: state.changed };
    } finally {
      await session.unlock();
    }
  } finally {
    await session.close();
  }
}

interface MigrationSession {
  appliedRows(): Promise<AppliedRow[] | undefined>;
  ensureTable(): Promise<void>;
  lock(): Promise<void>;
  unlock(): Promise<void>;
  apply(migration: LocalMigration): Promise<void>;
  close(): Promise<void>;
}

/** Prisma's own lock key and name, so a CLI deploy elsewhere waits for this one and the reverse. */
const postgresLockKey = 72707369;
const mysqlLockName = "prisma_migrate";
const lockWaitSeconds = 60;

async function openSession(url: string, provider: "postgresql" | "mysql", target: string): Promise<MigrationSession> {
  try {
    return provider === "postgresql" ? await openPostgresql(url, target) : await openMysql(url, target);
  } catch (error) {
    if (error instanceof DatabaseStartError) throw error;
    throw new DatabaseStartError(target, connectProblem(error), { cause: error });
  }
}

function connectProblem(error: unknown): string {
  const detail = describeDriverError(error);
  if (/3D000|MySQL error 1049|DatabaseDoesNotExist/.test(detail)) {
    return `the database does not exist (${detail}); create it first (CREATE DATABASE ...)`;
  }
  if (/^28|MySQL error 104[45]|AuthenticationFailed|DatabaseAccessDenied/.test(detail.replace("PostgreSQL ", ""))) {
    return `it refuses the login (${detail}); check the user and password in DATABASE_URL`;
  }
  if (databaseErrorReason(error) === "DATABASE_UNAVAILABLE") return `it cannot be reached (${detail})`;
  return `it cannot be migrated (${detail})`;
}

async function openPostgresql(url: string, target: string): Promise<MigrationSession> {
  const { connection, schema } = postgresqlConnection(url);
  const client = new pg.Client({ ...connection, connectionTimeoutMillis: 10_000 });
  // An idle connection the server drops would otherwise be an unhandled 'error' event.
  client.on("error", () => {});
  await client.connect();
  try {
    if (schema) {
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${quotePg(schema)}`);
      await client.query(`SET search_path TO ${quotePg(schema)}`);
    }
  } catch (error) {
    await client.end().catch(() => {});
    throw error;
  }
  const table = schema ? `${quotePg(schema)}."_prisma_migrations"` : `"_prisma_migrations"`;
  return {
    async appliedRows() {
      const exists = await client.query<{ found: string | null }>("SELECT to_regclass($1)::text AS found", [table]);
      if (!exists.rows[0]?.found) return undefined;
      const result = await client.query<{ name: string; checksum: string; finished: boolean; rolled_back: boolean }>(
        `SELECT migration_name AS name, checksum, finished_at IS NOT NULL AS finished, rolled_back_at IS NOT NULL AS rolled_back FROM ${table}`,
      );
      return result.rows.map((row) => ({
        name: row.name,
        checksum: row.checksum,
        finished: row.finished,
        rolledBack: row.rolled_back,
      }));
    },
    async ensureTable() {
      // Prisma's own definition of the table.
      await client.query(`CREATE TABLE IF NOT EXISTS ${table} (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`);
    },
    async lock() {
      // Waits as long as another deploy runs; a statement timeout bounds it.
      await client.query(`SET statement_timeout = ${lockWaitSeconds * 1000}`);
      await client.query("SELECT pg_advisory_lock($1)", [postgresLockKey]);
      await client.query("SET statement_timeout = 0");
    },
    async unlock() {
      await client.query("SELECT pg_advisory_unlock($1)", [postgresLockKey]).catch(() => {});
    },
    async apply(migration) {
      const id = randomUUID();
      await client.query(`INSERT INTO ${table} (id, checksum, migration_name, started_at) VALUES ($1, $2, $3, now())`, [
        id,
        migrationChecksums(migration.sql)[0],
        migration.name,
      ]);
      try {
        await client.query(migration.sql);
      } catch (error) {
        await client
          .query(`UPDATE ${table} SET logs = $2 WHERE id = $1`, [id, failureLog(migration, error)])
          .catch(() => {});
        throw new DatabaseStartError(target, `migration ${migration.name} failed (${describeDriverError(error)})`, {
          cause: error,
        });
      }
      await client.query(`UPDATE ${table} SET finished_at = now(), applied_steps_count = 1 WHERE id = $1`, [id]);
    },
    async close() {
      await client.end().catch(() => {});
    },
  };
}

async function openMysql(url: string, target: string): Promise<MigrationSession> {
  const connection = await mariadb.createConnection({
    ...mariadbPoolConfig(url),
    connectTimeout: 10_000,
    // A migration.sql holds several statements; the driver sends them as one script.
    multipleStatements: true,
  });
  connection.on("error", () => {});
  return {
    async appliedRows() {
      const tables = await connection.query<unknown[]>(
        "SELECT 1 FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = '_prisma_migrations'",
      );
      if (tables.length === 0) return undefined;
      const rows = await connection.query<{ name: string; checksum: string; finished: number; rolled_back: number }[]>(
        "SELECT migration_name AS name, checksum, finished_at IS NOT NULL AS finished, rolled_back_at IS NOT NULL AS rolled_back FROM _prisma_migrations",
      );
      return rows.map((row) => ({
        name: row.name,
        checksum: row.checksum,
        finished: Number(row.finished) === 1,
        rolledBack: Number(row.rolled_back) === 1,
      }));
    },
    async ensureTable() {
      // Prisma's own definition of the table.
      await connection.query(`CREATE TABLE IF NOT EXISTS _prisma_migrations (
    id                      VARCHAR(36) PRIMARY KEY NOT NULL,
    checksum                VARCHAR(64) NOT NULL,
    finished_at             DATETIME(3),
    migration_name          VARCHAR(255) NOT NULL,
    logs                    TEXT,
    rolled_back_at          DATETIME(3),
    started_at              DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    applied_steps_count     INTEGER UNSIGNED NOT NULL DEFAULT 0
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    },
    async lock() {
      const [row] = await connection.query<{ locked: number | bigint | null }[]>("SELECT GET_LOCK(?, ?) AS locked", [
        mysqlLockName,
        lockWaitSeconds,
      ]);
      if (Number(row?.locked) !== 1) {
        throw new DatabaseStartError(target, `another deploy held the migration lock for ${lockWaitSeconds} s`);
      }
    },
    async unlock() {
      await connection.query("SELECT RELEASE_LOCK(?)", [mysqlLockName]).catch(() => {});
    },
    async apply(migration) {
      const id = randomUUID();
      await connection.query(
        "INSERT INTO _prisma_migrations (id, checksum, migration_name, started_at) VALUES (?, ?, ?, CURRENT_TIMESTAMP(3))",
        [id, migrationChecksums(migration.sql)[0], migration.name],
      );
      try {
        await connection.query(migration.sql);
      } catch (error) {
        await connection
          .query("UPDATE _prisma_migrations SET logs = ? WHERE id = ?", [failureLog(migration, error), id])
          .catch(() => {});
        throw new DatabaseStartError(target, `migration ${migration.name} failed (${describeDriverError(error)})`, {
          cause: error,
        });
      }
      await connection.query(
        "UPDATE _prisma_migrations SET finished_at = CURRENT_TIMESTAMP(3), applied_steps_count = 1 WHERE id = ?",
        [id],
      );
    },
    async close() {
      await connection.end().catch(() => {});
    },
  };
}

function failureLog(migration: LocalMigration, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return `Migration ${migration.name} failed: ${message}`;
}

function quotePg(identifier: string): string {
  return `"${identifier.replace(/"/g, '""')}"`;
}
