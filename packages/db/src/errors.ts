/** True for Prisma's "unique constraint failed" (P2002), whatever the driver adapter. */
export function isUniqueConstraintError(error: unknown): boolean {
  return (
    typeof error === "object" && error !== null && "code" in error && (error as { code?: unknown }).code === "P2002"
  );
}

/**
 * Another process holds SQLite's write lock longer than the busy budget (`busyTimeoutMs`). Nothing was
 * written; the same request can be retried. Taxonomy reason DATABASE_BUSY.
 */
export class DatabaseBusyError extends Error {
  override readonly name = "DatabaseBusyError";
  readonly reason = "DATABASE_BUSY";
  constructor(
    readonly file: string,
    readonly waitedMs: number,
  ) {
    super(`The database ${file} is busy: another process held its write lock for ${waitedMs} ms.`);
  }
}

/**
 * The database cannot serve: its file was deleted or replaced while open, it or its folder became
 * read-only, or it does not answer. `problem` is one secret-free sentence. Taxonomy reason
 * DATABASE_UNAVAILABLE.
 */
export class DatabaseUnavailableError extends Error {
  override readonly name = "DatabaseUnavailableError";
  readonly reason = "DATABASE_UNAVAILABLE";
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`The database ${file} is unavailable: ${problem}.`);
  }
}

/**
 * The database cannot be opened or migrated at start (missing folder that cannot be created,
 * permission denied, read-only, not a database, a migration that cannot run). The message is one
 * line naming the file and the problem: print it without a stack.
 */
export class DatabaseStartError extends Error {
  override readonly name = "DatabaseStartError";
  constructor(
    readonly file: string,
    readonly problem: string,
    options?: { cause?: unknown },
  ) {
    super(`Cannot use the database ${file}: ${problem}.`, options);
  }
}

export type DatabaseErrorReason = "DATABASE_BUSY" | "DATABASE_UNAVAILABLE";

/**
 * The taxonomy reason for a database failure, or undefined for any other error. Follows `cause`
 * chains, because Prisma and tRPC wrap what the driver adapter throws. A bare SQLITE_BUSY (after
 * Prisma: P1008 "Operation has timed out") counts as busy; SQLITE_READONLY / SQLITE_IOERR / SQLITE_CANTOPEN /
 * SQLITE_CORRUPT / SQLITE_NOTADB as unavailable.
 */
export function databaseErrorReason(error: unknown): DatabaseErrorReason | undefined {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (typeof current === "object" && current !== null && !seen.has(current)) {
    seen.add(current);
    if (current instanceof DatabaseBusyError) return "DATABASE_BUSY";
    if (current instanceof DatabaseUnavailableError) return "DATABASE_UNAVAILABLE";
    const code = sqliteCodeOf(current);
    if (code !== undefined) {
      if (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED")) return "DATABASE_BUSY";
      if (unavailableCodes.some((prefix) => code.startsWith(prefix))) return "DATABASE_UNAVAILABLE";
    }
    const next = current as { cause?: unknown; meta?: { driverAdapterError?: unknown } };
    current = next.meta?.driverAdapterError ?? next.cause;
  }
  return undefined;
}

const unavailableCodes = [
  "SQLITE_READONLY",
  "SQLITE_IOERR",
  "SQLITE_CANTOPEN",
  "SQLITE_CORRUPT",
  "SQLITE_NOTADB",
  "SQLITE_FULL",
];

/**
 * The SQLite result code carried by an error: better-sqlite3's SqliteError has `code`, Prisma's
 * DriverAdapterError has `cause.originalCode`.
 */
export function sqliteCodeOf(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const { code, cause } = error as { code?: unknown; cause?: { originalCode?: unknown } };
  if (typeof code === "string" && code.startsWith("SQLITE_")) return code;
  const original = typeof cause === "object" && cause !== null ? cause.originalCode : undefined;
  return typeof original === "string" && original.startsWith("SQLITE_") ? original : undefined;
}
