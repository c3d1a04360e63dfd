import { constants, accessSync, existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { busyRetryingAdapterFactory, type ConnectedDatabase } from "./busy-retrying-adapter.ts";
import { databaseProviderOf, describeDatabaseUrl, supportedDatabaseUrlSchemes } from "./database-url.ts";
import {
  DatabaseStartError,
  DatabaseUnavailableError,
  databaseErrorReason,
  describeDriverError,
  sqliteCodeOf,
} from "./errors.ts";
import { watchDatabaseFile, type FileHealthMonitor } from "./file-health.ts";
import type { WalCheckpointSettings } from "./wal-checkpointer.ts";
import { runRawTransaction, type RawTransaction, type SqlDriverAdapter } from "./raw-transaction.ts";
import type { PrismaClient as MysqlClient } from "./generated/mysql/client.ts";
import { PrismaClient as SqliteClient } from "./generated/prisma/client.ts";

/**
 * The one client type the api codes against, whatever the engine. Prisma bakes the provider into a
 * generated client, so there are three nominally different classes with the same model API. The
 * MySQL one is the type: it is the narrowest of the three (no createManyAndReturn /
 * updateManyAndReturn, no `mode: "insensitive"`), so whatever compiles against it runs on all three.
 * createDatabase converts the SQLite and PostgreSQL clients to it, in that one place.
 */
export type Database = MysqlClient;

export interface DatabaseOptions {
  /**
   * How long a write waits, in total, for a write lock another process holds, before it fails with
   * DatabaseBusyError (reason DATABASE_BUSY). The wait is on timers: other requests go on meanwhile.
   * Default 3000 ms. Proposed env: DATABASE_BUSY_TIMEOUT_MS.
   */
  busyTimeoutMs?: number;
  /**
   * How often the file is checked (deleted, replaced, read-only) between health probes; a problem
   * found makes every query fail fast with DatabaseUnavailableError. Default 1000 ms. Proposed env:
   * DATABASE_FILE_CHECK_INTERVAL_MS.
   */
  fileCheckIntervalMs?: number;
  /**
   * PostgreSQL and MySQL only: how long a new connection may take before it fails with
   * DATABASE_UNAVAILABLE. Default 5000 ms. (`busyTimeoutMs` is their lock timeout.)
   */
  connectTimeoutMs?: number;
  /**
   * SQLite only: when a commit reaches the disk (`PRAGMA synchronous`). "normal" (default): WAL is
   * synced at checkpoints, not at every commit; a commit survives the process crashing, and the
   * file is never corrupted, but a power loss or an OS crash may undo the last commits before the
   * next checkpoint. "full": every commit waits for an fsync of the WAL (here 0.45 ms p50 and 5 ms
   * p99, during which better-sqlite3 holds the event loop, so every other request waits too).
   * Env: SQLITE_SYNCHRONOUS.
   */
  sqliteSynchronous?: SqliteSynchronous;
  /**
   * SQLite only: WAL checkpoints on a worker thread every `intervalMs` (default 200 ms) instead of
   * inside the commit that fills the WAL, where their fsyncs held the event loop for 4 ms and more
   * (wal-checkpointer.ts). `false`: SQLite's own automatic checkpoints. For tests and embedders;
   * the server always uses the worker.
   */
  sqliteCheckpoints?: false | WalCheckpointSettings;
}

export const sqliteSynchronousModes = ["normal", "full"] as const;
export type SqliteSynchronous = (typeof sqliteSynchronousModes)[number];
export const defaultSqliteSynchronous: SqliteSynchronous = "normal";

export const defaultBusyTimeoutMs = 3000;
export const defaultFileCheckIntervalMs = 1000;
export const defaultConnectTimeoutMs = 5000;

/** What the health probe and the server need beyond the Prisma client, per client. */
type Connection =
  | { kind: "sqlite"; file: string; current: () => ConnectedDatabase | undefined }
  | { kind: "server"; target: string; dialect: SqlDialect; adapter: () => SqlDriverAdapter | undefined };
const connections = new WeakMap<Database, Connection>();

/**
 * A Prisma client for the engine `url` names by its scheme (see databaseProviderOf): SQLite for
 * `file:`, PostgreSQL through `@prisma/adapter-pg` for `postgresql://`, MySQL/MariaDB through
 * `@prisma/adapter-mariadb` for `mysql://` or `mariadb://`. Migrate first (migrateDatabase).
 *
 * PostgreSQL / MySQL: a pool; `busyTimeoutMs` becomes the lock timeout of every connection; the
 * first `SELECT 1` runs before this returns. Throws DatabaseStartError naming the URL without its
 * credentials when the server cannot be reached or the URL is not one.
 */
export async function createDatabase(url: string, options: DatabaseOptions = {}): Promise<Database> {
  const provider = databaseProviderOf(url);
  if (provider === "sqlite") return createSqliteDatabase(url, options);
  if (!provider)
    throw new DatabaseStartError("DATABASE_URL", `it must start with one of: ${supportedDatabaseUrlSchemes}`);
  assertParsableUrl(url);
  // Loaded on demand: a SQLite server never evaluates the pg / mariadb drivers and their clients.
  const { createServerDatabase } = await import("./server-database.ts");
  const { db, adapter } = await createServerDatabase(url, provider, {
    lockTimeoutMs: options.busyTimeoutMs ?? defaultBusyTimeoutMs,
    connectTimeoutMs: options.connectTimeoutMs ?? defaultConnectTimeoutMs,
  });
  // The one conversion to the API type (see Database): the model APIs are the same.
  const database = db as unknown as Database;
  const dialect = provider === "postgresql" ? "postgres" : "mysql";
  connections.set(database, { kind: "server", target: describeDatabaseUrl(url), dialect, adapter });
  return database;
}

/**
 * `new URL` and the drivers' parsers quote the whole input (password included) in their errors:
 * refuse a URL that does not parse here, with a message that names no part of it.
 */
export function assertParsableUrl(url: string): void {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (!parsed?.hostname) {
    throw new DatabaseStartError(
      describeDatabaseUrl(url),
      "DATABASE_URL is not a valid URL (scheme://user:password@host:port/database)",
    );
  }
}

/**
 * A Prisma client on the embedded SQLite driver adapter. `url` is a `file:` URL; the file is created
 * on first use (its folder too). WAL mode lets readers (session checks) run while a login writes,
 * and lets other processes (a second server, a backup, the sqlite3 shell) open the file meanwhile.
 *
 * Throws DatabaseStartError (one line: the file and the problem) when the file cannot be used:
 * a folder that cannot be created, no permission, read-only, not a database.
 */
async function createSqliteDatabase(url: string, options: DatabaseOptions): Promise<Database> {
  const file = databaseFilePath(url);
  const busyTimeoutMs = options.busyTimeoutMs ?? defaultBusyTimeoutMs;
  const fileCheckIntervalMs = options.fileCheckIntervalMs ?? defaultFileCheckIntervalMs;
  if (file !== ":memory:") assertUsableFile(file);

  // timeout 0: better-sqlite3 would otherwise spin inside SQLite's busy handler and block the event
  // loop; the factory retries busy statements on timers instead.
  const factory = busyRetryingAdapterFactory(new PrismaBetterSQLite3({ url, timeout: 0 }), {
    file,
    busyTimeoutMs,
    watchFile: () => (file === ":memory:" ? noWatch : watchDatabaseFile(file, fileCheckIntervalMs)),
    backgroundCheckpoints: options.sqliteCheckpoints ?? {},
  });
  // The one conversion to the API type (see Database).
  const db = new SqliteClient({ adapter: factory }) as unknown as Database;
  connections.set(db, { kind: "sqlite", file, current: factory.current });
  try {
    await db.$executeRawUnsafe("PRAGMA journal_mode = WAL");
    await db.$executeRawUnsafe("PRAGMA foreign_keys = ON");
    // Per connection, like foreign_keys (the adapter holds one connection for the client's life).
    const synchronous = options.sqliteSynchronous ?? defaultSqliteSynchronous;
    await db.$executeRawUnsafe(`PRAGMA synchronous = ${synchronous === "full" ? "FULL" : "NORMAL"}`);
    // Reads the schema: a file that is not a database fails here, not at the first login.
    await db.$queryRawUnsafe("SELECT count(*) FROM sqlite_master");
  } catch (error) {
    await db.$disconnect().catch(() => {});
    throw new DatabaseStartError(file, describeOpenError(error), { cause: error });
  }
  return db;
}

export type DatabaseHealth = { ok: true } | { ok: false; reason: "DATABASE_UNAVAILABLE"; problem: string };

/**
 * Answers within milliseconds (at most `timeoutMs`) whether the database can serve. SQLite: its file
 * is the one opened, still there and writable (file, folder, -wal, -shm), and a `SELECT 1` answers.
 * PostgreSQL / MySQL: a `SELECT 1` through the pool answers within `timeoutMs`.
 * For /healthz. `problem` is one secret-free sentence.
 */
export async function checkDatabaseHealth(db: Database, timeoutMs = 1000): Promise<DatabaseHealth> {
  const connection = connections.get(db);
  if (!connection) return { ok: false, reason: "DATABASE_UNAVAILABLE", problem: "not created by createDatabase" };
  if (connection.kind === "server") {
    return withTimeout(
      db.$queryRawUnsafe("SELECT 1").then(
        () => undefined,
        (error: unknown) =>
          databaseErrorReason(error) === "DATABASE_UNAVAILABLE"
            ? `it cannot be reached (${describeDriverError(error)})`
            : `it does not answer (${describeDriverError(error)})`,
      ),
      timeoutMs,
    );
  }
  const current = connection.current();
  if (!current) return { ok: false, reason: "DATABASE_UNAVAILABLE", problem: "it is not connected" };
  const problem = await current.monitor.check();
  if (problem) return { ok: false, reason: "DATABASE_UNAVAILABLE", problem };
  const answered = current.adapter.queryRaw({ sql: "SELECT 1", args: [], argTypes: [] }).then(
    () => undefined,
    (error: unknown) =>
      error instanceof DatabaseUnavailableError
        ? error.problem
        : `it does not answer (${sqliteCodeOf(error) ?? "error"})`,
  );
  return withTimeout(answered, timeoutMs);
}

/** The problem `answered` resolves to, or "does not answer" once `timeoutMs` passed. */
async function withTimeout(answered: Promise<string | undefined>, timeoutMs: number): Promise<DatabaseHealth> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`it does not answer within ${timeoutMs} ms`), timeoutMs);
  });
  const failure = await Promise.race([answered, late]).finally(() => clearTimeout(timer));
  return failure ? { ok: false, reason: "DATABASE_UNAVAILABLE", problem: failure } : { ok: true };
}

/** Whether `db` is a SQLite database (for the SQLite-only parts: PRAGMAs, file checks). */
export function isSqliteDatabase(db: Database): boolean {
  return connections.get(db)?.kind === "sqlite";
}

/** The SQL dialect of a database's driver adapter. */
export type SqlDialect = "sqlite" | "postgres" | "mysql";

/** Statements straight on the driver's connection, for a measured hot path. */
export interface RawQuery {
  readonly dialect: SqlDialect;
  /**
   * Runs one read-only statement with string arguments; rows as objects keyed by column name.
   * Values as SQLite stores them (DateTime as ISO-8601 text, integers as bigint).
   */
  rows(sql: string, args: string[]): Promise<Record<string, unknown>[]>;
  /**
   * Runs a write that changes nothing an in-process cache keeps (a session's lastUsedAt), so it does
   * not advance changeStamp. Answers the number of rows changed.
   */
  runCacheNeutral(sql: string, args: string[]): Promise<number>;
  /**
   * Equal at two moments only if nothing was written to the database file in between, by this
   * process (any statement but a plain SELECT or runCacheNeutral) or by any other connection (seen
   * in the WAL-index header: wal-index-header.ts). One pread, synchronous. Undefined when it cannot
   * be read or the file watch has found a problem: take that as "changed".
   */
  changeStamp(): string | undefined;
}

/**
 * The driver's own connection for `db` (SQLite only), or undefined. Prepared statements are kept,
 * so a statement costs its execution only: it skips Prisma's per-query compile and plan
 * interpretation (about 1.5 ms CPU for a findUnique with a relation, 0.4 ms for `$queryRaw`) and the
 * adapter's prepare-every-time, and still goes through the busy-retrying wrapper: its connection
 * lock, its busy retries and its file-health guard. Callers keep a Prisma fallback.
 */
export function rawQueryOf(db: Database): RawQuery | undefined {
  const connection = connections.get(db);
  // PostgreSQL and MySQL take the caller's Prisma fallback: their adapters are not exposed here.
  if (connection?.kind !== "sqlite") return undefined;
  const direct = () => {
    const current = connection.current();
    if (!current?.direct) throw new DatabaseUnavailableError(connection.file, "it is not connected");
    return current.direct;
  };
  // Prisma connects lazily; createDatabase's first statements did. A driver without a handle gets none.
  if (!connection.current()?.direct) return undefined;
  return {
    dialect: "sqlite",
    rows: (sql, args) => direct().rows(sql, args),
    runCacheNeutral: (sql, args) => direct().runCacheNeutral(sql, args),
    changeStamp: () => connection.current()?.direct?.changeStamp(),
  };
}

/**
 * Runs `work` in one transaction on `db`'s driver adapter, without Prisma's query compiler (see
 * runRawTransaction), on every engine. For hot writes that Prisma would compile statement by
 * statement; `tx.dialect` says which SQL to write. `db` must come from createDatabase.
 */
export async function rawTransaction<T>(db: Database, work: (tx: RawTransaction) => Promise<T>): Promise<T> {
  const connection = connections.get(db);
  if (!connection) throw new Error("rawTransaction needs a database made by createDatabase");
  if (connection.kind === "sqlite") {
    const current = connection.current();
    if (!current) throw new DatabaseUnavailableError(connection.file, "it is not connected");
    return runRawTransaction(current.adapter, "sqlite", work, current.direct?.inTransaction);
  }
  const adapter = connection.adapter();
  // createDatabase ran a first query, so Prisma has connected. (After a $disconnect(), which only
  // shutdown does, the pool stays closed until Prisma's next query connects a new adapter.)
  if (!adapter) throw new DatabaseUnavailableError(connection.target, "it is not connected");
  return runRawTransaction(adapter, connection.dialect, work);
}

/** The file path inside a `file:` URL, as the better-sqlite3 adapter reads it. */
export function databaseFilePath(url: string): string {
  const file = url.replace(/^file:/, "").replace(/\?.*$/, "");
  return file === ":memory:" ? file : path.resolve(file);
}

const noWatch: FileHealthMonitor = {
  problem: () => undefined,
  guard: () => undefined,
  mappingUnsafe: () => false,
  shmSize: () => 0,
  check: async () => undefined,
  close: () => {},
};

/** Checks what SQLite would report late or obscurely: the folder, and write permission. */
export function assertUsableFile(file: string): void {
  const folder = path.dirname(file);
  try {
    mkdirSync(folder, { recursive: true });
  } catch (error) {
    throw new DatabaseStartError(file, `its folder does not exist and cannot be created (${codeOf(error)})`);
  }
  const target = existsSync(file) ? file : folder;
  try {
    accessSync(target, constants.R_OK | constants.W_OK);
  } catch (error) {
    const what = target === file ? "the file" : "its folder";
    throw new DatabaseStartError(file, `${what} is not readable and writable by this process (${codeOf(error)})`);
  }
}

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : "unknown error";
}

function describeOpenError(error: unknown): string {
  const code = sqliteCodeOf(error);
  if (error instanceof DatabaseUnavailableError) return error.problem;
  if (code === "SQLITE_NOTADB") return "the file is not a SQLite database (SQLITE_NOTADB)";
  if (code?.startsWith("SQLITE_READONLY")) return `the file is read-only (${code})`;
  if (code?.startsWith("SQLITE_CANTOPEN")) return `the file cannot be opened (${code})`;
  if (code?.startsWith("SQLITE_BUSY")) return `another process holds it locked (${code})`;
  if (code) return `SQLite failed with ${code}`;
  const message = error instanceof Error ? error.message.split("\n")[0] : String(error);
  return message ?? "unknown error";
}
