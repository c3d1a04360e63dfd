/**
 * True for Prisma's "unique constraint failed" (P2002), whatever the driver adapter, and for the
 * errors under it that a rawTransaction statement throws: the adapter's UniqueConstraintViolation,
 * better-sqlite3's SQLITE_CONSTRAINT_UNIQUE / _PRIMARYKEY.
 */
export function isUniqueConstraintError(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const { code, cause } = error as { code?: unknown; cause?: { kind?: unknown } };
  return (
    code === "P2002" ||
    code === "SQLITE_CONSTRAINT_UNIQUE" ||
    code === "SQLITE_CONSTRAINT_PRIMARYKEY" ||
    (typeof cause === "object" && cause?.kind === "UniqueConstraintViolation")
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
 * chains and Prisma's `meta.driverAdapterError`, because Prisma and tRPC wrap what the driver
 * adapter throws.
 *
 * DATABASE_BUSY (nothing was written; the same request can be retried soon): SQLite SQLITE_BUSY /
 * SQLITE_LOCKED; PostgreSQL 55P03 lock_not_available (our lock_timeout), 40P01 deadlock_detected,
 * 40001 serialization_failure, 57014 query_canceled, 53300 too_many_connections; MySQL 1205 lock wait
 * timeout, 1213 deadlock, 3572 NOWAIT, 1040 / 1203 too many connections; Prisma P2034 / P2024, and
 * P2028 "Unable to start a transaction in the given time" (every pooled connection stayed busy for
 * the interactive transaction's maxWait: a burst of logins on one instance reached it on MariaDB).
 *
 * DATABASE_UNAVAILABLE (the database cannot serve): SQLite SQLITE_READONLY / IOERR / CANTOPEN /
 * CORRUPT / NOTADB / FULL; a server that cannot be reached or closed the connection (ECONNREFUSED,
 * ECONNRESET, ETIMEDOUT, EHOSTUNREACH, ENOTFOUND, EPIPE; the adapters' DatabaseNotReachable,
 * ConnectionClosed, SocketTimeout, TlsConnectionError); a database that is missing or refuses the
 * login; PostgreSQL class 08, 57P01-57P03 (shut down, starting), 25006 (a read-only standby), 53100
 * disk full; MySQL 2002 / 2003 / 2006 / 2013 (gone away, lost), 1290 (read-only), 45028 (the MariaDB
 * pool got no connection in time and was not full: the server is down; a full pool is
 * DATABASE_BUSY); Prisma P1001 /
 * P1002 / P1017.
 */
export function databaseErrorReason(error: unknown): DatabaseErrorReason | undefined {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (typeof current === "object" && current !== null && !seen.has(current)) {
    seen.add(current);
    if (current instanceof DatabaseBusyError) return "DATABASE_BUSY";
    if (current instanceof DatabaseUnavailableError) return "DATABASE_UNAVAILABLE";
    const reason = reasonOfOne(current);
    if (reason) return reason;
    const next = current as { cause?: unknown; meta?: { driverAdapterError?: unknown } };
    current = next.meta?.driverAdapterError ?? next.cause;
  }
  return undefined;
}

interface ErrorFields {
  code?: unknown;
  errno?: unknown;
  kind?: unknown;
  sqlState?: unknown;
  severity?: unknown;
  clientVersion?: unknown;
  message?: unknown;
}

function reasonOfOne(error: ErrorFields): DatabaseErrorReason | undefined {
  const code = sqliteCodeOf(error);
  if (code !== undefined) {
    if (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED")) return "DATABASE_BUSY";
    if (unavailableCodes.some((prefix) => code.startsWith(prefix))) return "DATABASE_UNAVAILABLE";
    return undefined;
  }
  // A driver adapter's mapped error (DriverAdapterError.cause).
  if (typeof error.kind === "string") {
    if (busyKinds.has(error.kind)) return "DATABASE_BUSY";
    if (unavailableKinds.has(error.kind)) return "DATABASE_UNAVAILABLE";
    if (error.kind === "postgres" && typeof error.code === "string") return postgresReason(error.code);
    if (error.kind === "mysql" && typeof error.code === "number") return mysqlReason(error.code, messageOf(error));
    return undefined;
  }
  // Prisma's own errors (P-codes carry clientVersion).
  if (typeof error.code === "string" && /^P\d{4}$/.test(error.code) && error.clientVersion !== undefined) {
    if (error.code === "P2034" || error.code === "P2024") return "DATABASE_BUSY";
    // P2028 is every "Transaction API error"; only this one means "nothing began, try again soon".
    if (
      error.code === "P2028" &&
      typeof error.message === "string" &&
      /unable to start a transaction/i.test(error.message)
    )
      return "DATABASE_BUSY";
    if (["P1001", "P1002", "P1017"].includes(error.code)) return "DATABASE_UNAVAILABLE";
    return undefined;
  }
  // Node sockets (a raw error the adapters pass through).
  if (typeof error.code === "string" && socketCodes.has(error.code)) return "DATABASE_UNAVAILABLE";
  // A raw pg DatabaseError (has a severity) or a raw mariadb SqlError (has errno and sqlState).
  if (typeof error.code === "string" && typeof error.severity === "string") return postgresReason(error.code);
  if (typeof error.errno === "number" && error.sqlState !== undefined)
    return mysqlReason(error.errno, messageOf(error));
  return undefined;
}

const busyKinds = new Set(["TransactionWriteConflict", "TooManyConnections"]);
const unavailableKinds = new Set([
  "DatabaseNotReachable",
  "ConnectionClosed",
  "SocketTimeout",
  "TlsConnectionError",
  "DatabaseDoesNotExist",
  "DatabaseAccessDenied",
  "AuthenticationFailed",
]);
const socketCodes = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EPIPE",
  "EAI_AGAIN",
]);

function postgresReason(sqlState: string): DatabaseErrorReason | undefined {
  if (["55P03", "40P01", "40001", "57014", "53300"].includes(sqlState)) return "DATABASE_BUSY";
  if (
    sqlState.startsWith("08") ||
    sqlState.startsWith("28") ||
    ["57P01", "57P02", "57P03", "25006", "53100", "3D000"].includes(sqlState)
  ) {
    return "DATABASE_UNAVAILABLE";
  }
  return undefined;
}

/**
 * MariaDB's pool timeout (45028) names its state: "(pool connections: active=10 idle=0 limit=10)".
 * Every connection lent out means a burst the pool cannot serve yet (busy, retriable); fewer means
 * it could not open one (the server is down or refuses).
 */
function poolWasFull(message: string | undefined): boolean {
  const state = /active=(\d+)\b.*\blimit=(\d+)/s.exec(message ?? "");
  return state !== null && Number(state[1]) >= Number(state[2]);
}

function mysqlReason(errno: number, message?: string): DatabaseErrorReason | undefined {
  if ([1205, 1213, 3572, 1040, 1203].includes(errno)) return "DATABASE_BUSY";
  if (errno === 45028 && poolWasFull(message)) return "DATABASE_BUSY";
  if ([2002, 2003, 2006, 2013, 1290, 1836, 1049, 1044, 1045, 45028].includes(errno)) return "DATABASE_UNAVAILABLE";
  // The MariaDB driver's own connection errors (45001 closed, 45009 socket closed, 45012 connect timeout, ...).
  if ([45001, 45002, 45006, 45007, 45009, 45012, 45013].includes(errno)) return "DATABASE_UNAVAILABLE";
  return undefined;
}

/**
 * A short, secret-free name for what a database driver reported: a SQLSTATE, a MySQL error number,
 * a socket code, or the adapter's kind. Never the driver's message (it may quote a URL or a value).
 */
export function describeDriverError(error: unknown): string {
  const seen = new Set<unknown>();
  let current: unknown = error;
  let found: string | undefined;
  while (typeof current === "object" && current !== null && !seen.has(current)) {
    seen.add(current);
    const fields = current as ErrorFields;
    const sqlite = sqliteCodeOf(current);
    if (sqlite) return sqlite;
    if (typeof fields.kind === "string") {
      if (fields.kind === "postgres" && typeof fields.code === "string") return `PostgreSQL ${fields.code}`;
      if (fields.kind === "mysql" && typeof fields.code === "number") return `MySQL error ${fields.code}`;
      if (fields.kind !== "GenericJs") return fields.kind;
    }
    if (typeof fields.code === "string" && socketCodes.has(fields.code)) return fields.code;
    if (typeof fields.code === "string" && typeof fields.severity === "string") return `PostgreSQL ${fields.code}`;
    if (typeof fields.errno === "number" && fields.sqlState !== undefined) return `MySQL error ${fields.errno}`;
    if (!found && typeof fields.code === "string" && fields.code) found = fields.code;
    const next = current as { cause?: unknown; meta?: { driverAdapterError?: unknown } };
    current = next.meta?.driverAdapterError ?? next.cause;
  }
  return found ?? "error";
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

function messageOf(error: { message?: unknown }): string | undefined {
  return typeof error.message === "string" ? error.message : undefined;
}
