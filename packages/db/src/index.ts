export {
  checkDatabaseHealth,
  createDatabase,
  databaseFilePath,
  defaultBusyTimeoutMs,
  defaultFileCheckIntervalMs,
  defaultSqliteSynchronous,
  isSqliteDatabase,
  rawQueryOf,
  rawTransaction,
  sqliteSynchronousModes,
  type Database,
  type DatabaseHealth,
  type DatabaseOptions,
  type RawQuery,
  type SqlDialect,
  type SqliteSynchronous,
} from "./client.ts";
export { readTimestamp, type RawArg, type RawTransaction } from "./raw-transaction.ts";
export { migrateDatabase, migrationsDir, type MigrationResult } from "./migrate.ts";
export { migrationChecksums } from "./migration-files.ts";
export { dataDir, defaultDatabaseUrl, repoRoot } from "./database-url.ts";
export {
  DatabaseBusyError,
  DatabaseStartError,
  DatabaseUnavailableError,
  databaseErrorReason,
  isUniqueConstraintError,
  type DatabaseErrorReason,
} from "./errors.ts";
export type { Session, User } from "./generated/mysql/client.ts";
export type { Prisma } from "./generated/mysql/client.ts";
