import type { SqlDriverAdapterFactory } from "@prisma/client/runtime/client";
import type { SqlDialect } from "./client.ts";

export type SqlDriverAdapter = Awaited<ReturnType<SqlDriverAdapterFactory["connect"]>>;

type SqlTransaction = Awaited<ReturnType<SqlDriverAdapter["startTransaction"]>>;
type ArgType = Parameters<SqlDriverAdapter["queryRaw"]>[0]["argTypes"][number];

/** What a raw statement binds: text, whole numbers, timestamps (written as Prisma writes them), NULL. */
export type RawArg = string | number | Date | null;

/** Statements inside one transaction opened by runRawTransaction. */
export interface RawTransaction {
  readonly dialect: SqlDialect;
  /**
   * Runs a statement that answers rows (a SELECT, or a write with RETURNING on SQLite and
   * PostgreSQL); rows as objects keyed by column name. Timestamps come back as the driver gives
   * them (text on every engine here): read them with readTimestamp.
   */
  rows(sql: string, args: readonly RawArg[]): Promise<Record<string, unknown>[]>;
  /** Runs a write; answers the number of rows it changed. */
  run(sql: string, args: readonly RawArg[]): Promise<number>;
}

/**
 * Runs `work` in one transaction straight on the driver adapter under Prisma (the adapter Prisma
 * itself uses, so the same pool, the same SQLite connection lock and busy retries): the statements
 * skip Prisma's per-query compile in wasm and its plan interpreter (about 1 ms CPU a statement).
 * Commits when `work` resolves, rolls back when it throws, and rethrows. Errors are the adapter's
 * DriverAdapterError: databaseErrorReason and isUniqueConstraintError read them.
 *
 * SQLite: the transaction begins with BEGIN IMMEDIATE (the busy-retrying adapter), so it holds the
 * write lock from its first statement. PostgreSQL / MySQL: BEGIN on a pooled connection of its own,
 * at the database's default isolation level, as Prisma's $transaction does.
 */
export async function runRawTransaction<T>(
  adapter: SqlDriverAdapter,
  dialect: SqlDialect,
  work: (tx: RawTransaction) => Promise<T>,
  kept?: KeptStatements,
): Promise<T> {
  const tx = await adapter.startTransaction();
  // The adapter protocol: with usePhantomQuery, commit()/rollback() send COMMIT/ROLLBACK themselves;
  // without it (pg, mariadb) the caller sends them and commit()/rollback() release the connection.
  const send = (sql: "COMMIT" | "ROLLBACK") =>
    tx.options.usePhantomQuery ? Promise.resolve(0) : tx.executeRaw({ sql, args: [], argTypes: [] });
  let result: T;
  try {
    result = await work(kept ? keptStatementsOf(kept, dialect) : statementsOf(tx, dialect));
    await send("COMMIT");
  } catch (error) {
    try {
      await send("ROLLBACK");
    } catch {
      // The connection may be gone (that is likely why work failed): the original error says more.
    } finally {
      await tx.rollback().catch(() => {});
    }
    throw error;
  }
  await tx.commit();
  return result;
}

/**
 * SQLite: the connection's kept prepared statements (DirectConnection.inTransaction) instead of the
 * adapter's statement path, which prepares every statement again and maps every argument and row
 * (together about as much CPU as the statements themselves). The transaction is still the
 * adapter's: its lock, BEGIN IMMEDIATE, COMMIT / ROLLBACK.
 */
export interface KeptStatements {
  rows(sql: string, args: readonly unknown[]): Record<string, unknown>[];
  run(sql: string, args: readonly unknown[]): number;
}

function keptStatementsOf(kept: KeptStatements, dialect: SqlDialect): RawTransaction {
  // Timestamps as Prisma's SQLite adapter writes them ("...T09:13:09.844+00:00"), so both read alike.
  const bind = (args: readonly RawArg[]) =>
    args.map((arg) => (arg instanceof Date ? arg.toISOString().replace("Z", "+00:00") : arg));
  return {
    dialect,
    rows: async (sql, args) => kept.rows(sql, bind(args)),
    run: async (sql, args) => kept.run(sql, bind(args)),
  };
}

function statementsOf(tx: SqlTransaction, dialect: SqlDialect): RawTransaction {
  return {
    dialect,
    async rows(sql, args) {
      const result = await tx.queryRaw({ sql, args: [...args], argTypes: args.map(argTypeOf) });
      return result.rows.map((row) => {
        const record: Record<string, unknown> = {};
        result.columnNames.forEach((name, index) => (record[name] = row[index]));
        return record;
      });
    },
    run: (sql, args) => tx.executeRaw({ sql, args: [...args], argTypes: args.map(argTypeOf) }),
  };
}

const argTypes = {
  string: { scalarType: "string", arity: "scalar" },
  int: { scalarType: "int", arity: "scalar" },
  datetime: { scalarType: "datetime", arity: "scalar" },
  unknown: { scalarType: "unknown", arity: "scalar" },
} as const satisfies Record<string, ArgType>;

function argTypeOf(arg: RawArg): ArgType {
  if (typeof arg === "string") return argTypes.string;
  if (typeof arg === "number") return argTypes.int;
  if (arg instanceof Date) return argTypes.datetime;
  return argTypes.unknown;
}

/**
 * A timestamp column as a driver returns it: a Date, ISO-8601 text with an offset (SQLite as Prisma
 * writes it, PostgreSQL through its adapter), or `YYYY-MM-DD HH:MM:SS[.fff]` without a zone (MySQL,
 * which stores UTC here, as Prisma writes it).
 */
export function readTimestamp(value: unknown): Date {
  if (value instanceof Date) return value;
  const text = String(value);
  if (/(?:Z|[+-]\d\d:?\d\d)$/.test(text)) return new Date(text);
  return new Date(`${text.replace(" ", "T")}Z`);
}
