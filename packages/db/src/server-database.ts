import { PrismaMariaDb } from "@prisma/adapter-mariadb";
import { PrismaPg } from "@prisma/adapter-pg";
import { describeDatabaseUrl } from "./database-url.ts";
import { DatabaseStartError, databaseErrorReason, describeDriverError } from "./errors.ts";
import { PrismaClient as MysqlClient } from "./generated/mysql/client.ts";
import { PrismaClient as PostgresqlClient } from "./generated/postgresql/client.ts";
import type { SqlDriverAdapterFactory } from "@prisma/client/runtime/client";
import type { SqlDriverAdapter } from "./raw-transaction.ts";

/** What a server database (PostgreSQL, MySQL/MariaDB) needs at its creation. */
export interface ServerDatabaseSettings {
  /** Longest wait for a row or table lock before the statement fails (DATABASE_BUSY). */
  lockTimeoutMs: number;
  /** Longest wait for a new connection before it fails (DATABASE_UNAVAILABLE). */
  connectTimeoutMs: number;
}

/**
 * A Prisma client on `@prisma/adapter-pg` or `@prisma/adapter-mariadb`, answering a `SELECT 1`
 * before it is returned. The lock timeout is set per connection, so a write blocked by another
 * instance's transaction fails after `lockTimeoutMs` with a lock error the api maps to
 * DATABASE_BUSY, as a SQLite write blocked by another process does; neither engine's default
 * (PostgreSQL: forever, InnoDB: 50 s) would answer within the client's request timeout.
 *
 * Throws DatabaseStartError naming the URL without its credentials.
 */
export async function createServerDatabase(
  url: string,
  provider: "postgresql" | "mysql",
  settings: ServerDatabaseSettings,
): Promise<{ db: PostgresqlClient | MysqlClient; adapter: () => SqlDriverAdapter | undefined }> {
  const captured = capturingAdapter(
    provider === "postgresql" ? postgresqlAdapter(url, settings) : mysqlAdapter(url, settings),
  );
  const db =
    provider === "postgresql"
      ? new PostgresqlClient({ adapter: captured.factory })
      : new MysqlClient({ adapter: captured.factory });
  try {
    await db.$queryRawUnsafe("SELECT 1");
  } catch (error) {
    await db.$disconnect().catch(() => {});
    throw new DatabaseStartError(describeDatabaseUrl(url), startProblem(error), { cause: error });
  }
  return { db, adapter: captured.adapter };
}

/**
 * The factory Prisma connects through, remembering the adapter it made: runRawTransaction uses that
 * same adapter (and so the same pool) for the statements it runs without Prisma's query compiler.
 */
function capturingAdapter(inner: SqlDriverAdapterFactory): {
  factory: SqlDriverAdapterFactory;
  adapter: () => SqlDriverAdapter | undefined;
} {
  let connected: SqlDriverAdapter | undefined;
  const factory: SqlDriverAdapterFactory = {
    provider: inner.provider,
    adapterName: inner.adapterName,
    connect: async () => (connected = await inner.connect()),
  };
  return { factory, adapter: () => connected };
}

function postgresqlAdapter(url: string, settings: ServerDatabaseSettings): PrismaPg {
  const { connection, schema } = postgresqlConnection(url);
  return new PrismaPg(
    {
      ...connection,
      connectionTimeoutMillis: settings.connectTimeoutMs,
      // Server-side settings for every connection of the pool.
      options: `-c lock_timeout=${Math.max(1, Math.round(settings.lockTimeoutMs))}`,
    },
    schema ? { schema } : undefined,
  );
}

/**
 * The pg driver's settings from a `postgresql://` URL, and the `?schema=` parameter Prisma's URLs
 * use for a schema other than `public` (pg itself does not know it; the adapter takes it apart).
 */
export function postgresqlConnection(url: string): { connection: { connectionString: string }; schema?: string } {
  const parsed = new URL(url);
  const schema = parsed.searchParams.get("schema") ?? undefined;
  parsed.searchParams.delete("schema");
  return { connection: { connectionString: parsed.toString() }, ...(schema ? { schema } : {}) };
}

function mysqlAdapter(url: string, settings: ServerDatabaseSettings): PrismaMariaDb {
  const config = mariadbPoolConfig(url);
  // innodb_lock_wait_timeout counts whole seconds (at least 1).
  const lockSeconds = Math.max(1, Math.ceil(settings.lockTimeoutMs / 1000));
  return new PrismaMariaDb({
    ...config,
    connectTimeout: settings.connectTimeoutMs,
    acquireTimeout: settings.connectTimeoutMs + 1000,
    initSql: [`SET SESSION innodb_lock_wait_timeout = ${lockSeconds}`],
  });
}

/**
 * The MariaDB driver's settings from a `mysql://` or `mariadb://` URL: host, port, user, password,
 * database, and the query parameters the driver knows (e.g. `?ssl=true` is not one; see README).
 */
export function mariadbPoolConfig(url: string): {
  host: string;
  port: number;
  user: string;
  password?: string;
  database?: string;
  [option: string]: unknown;
} {
  const parsed = new URL(url);
  const config: ReturnType<typeof mariadbPoolConfig> = {
    host: parsed.hostname.replace(/^\[|\]$/g, ""),
    port: parsed.port ? Number(parsed.port) : 3306,
    user: decodeURIComponent(parsed.username),
  };
  if (parsed.password) config.password = decodeURIComponent(parsed.password);
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ""));
  if (database) config.database = database;
  for (const [key, value] of parsed.searchParams) {
    config[key] = value === "true" ? true : value === "false" ? false : /^\d+$/.test(value) ? Number(value) : value;
  }
  return config;
}

function startProblem(error: unknown): string {
  const reason = databaseErrorReason(error);
  const detail = describeDriverError(error);
  if (reason === "DATABASE_UNAVAILABLE") return `it cannot be reached (${detail})`;
  return `it does not answer a first query (${detail})`;
}
