// Test support for every suite that needs a database: `@mp-auth/db/testing`.
// A fresh database per call (SQLite: a temp file; PostgreSQL / MariaDB: CREATE DATABASE with a
// random name on the machine's service), so parallel runs never collide, and service discovery that
// fails in CI and says what is missing on a user's machine.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import mariadb from "mariadb";
import pg from "pg";
import { describeDatabaseUrl } from "./database-url.ts";
import { describeDriverError } from "./errors.ts";
import { mariadbPoolConfig } from "./server-database.ts";

export type TestEngine = "sqlite" | "postgresql" | "mysql";
export const testEngines: readonly TestEngine[] = ["sqlite", "postgresql", "mysql"];

/**
 * The services the server engines' tests use: a URL with rights to CREATE / DROP DATABASE.
 * TEST_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/test: trust auth on this machine
 * kind; its database is only the maintenance database the per-run databases are created from) and
 * TEST_MYSQL_URL (default mysql://root@127.0.0.1:3306/test).
 */
export function testServiceUrls(): { postgresql: string; mysql: string } {
  return {
    postgresql: process.env.TEST_POSTGRES_URL || "postgresql://postgres@127.0.0.1:5432/test",
    mysql: process.env.TEST_MYSQL_URL || "mysql://root@127.0.0.1:3306/test",
  };
}

/** How to get each service running, for the line printed (or the failure in CI) when it is missing. */
export const serviceHelp: Record<Exclude<TestEngine, "sqlite">, string> = {
  postgresql:
    "PostgreSQL 15+ on 127.0.0.1:5432 with trust auth for user postgres (e.g. `apt-get install postgresql` " +
    "or `docker run -d -p 5432:5432 -e POSTGRES_HOST_AUTH_METHOD=trust postgres:15`), or set TEST_POSTGRES_URL " +
    "to a server where that user may CREATE DATABASE",
  mysql:
    "MariaDB 10.11 / MySQL 5.7+ on 127.0.0.1:3306 with user root and an empty password (e.g. `apt-get install " +
    "mariadb-server` or `docker run -d -p 3306:3306 -e MARIADB_ALLOW_EMPTY_ROOT_PASSWORD=1 mariadb:10.11`), or " +
    "set TEST_MYSQL_URL to a server where that user may CREATE DATABASE",
};

export interface TestDatabase {
  engine: TestEngine;
  /** A DATABASE_URL for the fresh, empty database (not migrated yet). */
  url: string;
  /** Drops the database (SQLite: deletes its folder). Disconnect every client first. */
  drop(): Promise<void>;
}

/** A fresh, empty database of `engine`, its own for this call. */
export async function createTestDatabase(engine: TestEngine): Promise<TestDatabase> {
  if (engine === "sqlite") {
    const dir = mkdtempSync(path.join(tmpdir(), "mp-auth-db-"));
    return {
      engine,
      url: `file:${path.join(dir, "test.db")}`,
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const name = `mpauth_${Date.now().toString(36)}_${randomBytes(4).toString("hex")}`;
  const service = testServiceUrls()[engine];
  const url = new URL(service);
  url.pathname = `/${name}`;
  if (engine === "postgresql") {
    await withPostgres(service, (client) => client.query(`CREATE DATABASE "${name}"`));
    return {
      engine,
      url: url.toString(),
      drop: async () => {
        await withPostgres(service, (client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
      },
    };
  }
  await withMysql(service, (connection) =>
    // The usual case-insensitive server default: the migrations must choose the binary collation.
    connection.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`),
  );
  return {
    engine,
    url: url.toString(),
    drop: async () => {
      // Like PostgreSQL's WITH (FORCE): also ends the connections that were using it. Dropped
      // first, so a pool reconnecting meanwhile finds no database; listed again, because a pool may
      // have opened connections while the first ones were killed.
      await withMysql(service, async (connection) => {
        const users = async () =>
          connection.query<{ id: number | bigint }[]>(
            "SELECT id FROM information_schema.processlist WHERE db = ? AND id <> CONNECTION_ID()",
            [name],
          );
        const before = await users();
        await connection.query(`DROP DATABASE IF EXISTS \`${name}\``);
        for (let round = 0; round < 3; round++) {
          const ids = new Set([...(round === 0 ? before : []), ...(await users())].map(({ id }) => Number(id)));
          for (const id of ids) await connection.query(`KILL CONNECTION ${id}`).catch(() => {});
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      });
    },
  };
}

export type ServiceStatus = { available: true } | { available: false; problem: string };

/** Whether the service of `engine` answers (SQLite always does). */
export async function checkTestService(engine: TestEngine): Promise<ServiceStatus> {
  if (engine === "sqlite") return { available: true };
  const service = testServiceUrls()[engine];
  try {
    if (engine === "postgresql") await withPostgres(service, (client) => client.query("SELECT 1"));
    else await withMysql(service, (connection) => connection.query("SELECT 1"));
    return { available: true };
  } catch (error) {
    return {
      available: false,
      problem: `${describeDatabaseUrl(service)} does not answer (${describeDriverError(error)})`,
    };
  }
}

/**
 * The engines a suite runs on, for `describe.each`. SQLite always; PostgreSQL and MySQL when their
 * service answers. A missing service FAILS in CI (`CI` set to anything but "false" / "0"): this
 * throws, naming the service and how to start it. On a user's machine the engine is left out with a
 * printed line saying the same: never silently.
 */
export async function availableTestEngines(engines: readonly TestEngine[] = testEngines): Promise<TestEngine[]> {
  const available: TestEngine[] = [];
  const missing: string[] = [];
  for (const engine of engines) {
    const status = await checkTestService(engine);
    if (status.available) available.push(engine);
    else missing.push(`${engine}: ${status.problem}. Needs ${serviceHelp[engine as Exclude<TestEngine, "sqlite">]}.`);
  }
  reportMissingServices("database engines", missing);
  return available;
}

/**
 * Whether this run is CI (`CI` set to anything but "" / "false" / "0"). The one rule every suite
 * follows for a missing service: in CI it fails the run; elsewhere it is left out with a printed line.
 */
export function isCi(): boolean {
  const ci = process.env.CI;
  return ci !== undefined && ci !== "" && ci !== "false" && ci !== "0";
}

/**
 * Reports missing services the same way everywhere: throws in CI (so CI can never pass by
 * skipping), otherwise prints one line per service, naming it and how to start it. Returns whether
 * everything was there.
 */
export function reportMissingServices(what: string, missing: readonly string[]): boolean {
  if (missing.length === 0) return true;
  if (isCi())
    throw new Error(`${what}: services missing in CI (CI=true: suites must run, not skip):\n${missing.join("\n")}`);
  for (const line of missing) console.warn(`[@mp-auth/db/testing] SKIPPING ${what}: ${line}`);
  return false;
}

/**
 * The Redis the tests use: TEST_REDIS_URL (REDIS_TEST_URL, its earlier name, is still read), default
 * redis://127.0.0.1:6379. Every suite uses its own key prefix (`uniqueRedisKeyPrefix`) and deletes
 * only its keys, so runs sharing one Redis never collide.
 */
export function testRedisUrl(): string {
  return process.env.TEST_REDIS_URL || process.env.REDIS_TEST_URL || "redis://127.0.0.1:6379";
}

export const redisHelp =
  "Redis 6.2+ on 127.0.0.1:6379 (e.g. `apt-get install redis-server`, `redis-server --daemonize yes`, or " +
  "`docker run -d -p 6379:6379 redis:7`), or set TEST_REDIS_URL";

/**
 * A key prefix no other run (parallel or earlier) uses, for REDIS_KEY_PREFIX (at most 64 characters:
 * keep `suite` short) or a store's prefix.
 */
export function uniqueRedisKeyPrefix(suite: string): string {
  return `mp-auth-test:${suite}:${randomBytes(8).toString("hex")}:`;
}

/**
 * Whether the test Redis answers PING. Run at module level by every suite that needs Redis:
 *
 *   const redisReady = await requireRedisForTests("session cache");
 *   describe.runIf(redisReady)(...)
 *
 * A missing Redis fails in CI and is skipped with a printed line elsewhere, as for the databases.
 */
export async function requireRedisForTests(suite: string, extraProblems: readonly string[] = []): Promise<boolean> {
  const url = testRedisUrl();
  const problems = [...extraProblems];
  const answer = await pingRedis(url);
  if (answer !== "PONG") problems.unshift(`no Redis answers at ${redactUrl(url)} (${answer}). Needs ${redisHelp}`);
  return reportMissingServices(suite, problems);
}

/** PING over a plain socket: this package needs no Redis client for it. */
async function pingRedis(url: string): Promise<string> {
  try {
    const reply = await sendRedisCommand(url, ["PING"]);
    return reply === "+PONG" ? "PONG" : reply;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? (error as Error).message;
  }
}

/**
 * Deletes the keys under `prefix` (SCAN + UNLINK, in one server-side script): never FLUSHALL a
 * shared Redis. Returns how many were deleted.
 */
export async function deleteRedisKeysWithPrefix(prefix: string, url = testRedisUrl()): Promise<number> {
  const script =
    "local cursor, deleted = '0', 0 repeat local page = redis.call('SCAN', cursor, 'MATCH', ARGV[1], 'COUNT', 1000) " +
    "cursor = page[1] for _, key in ipairs(page[2]) do redis.call('UNLINK', key) deleted = deleted + 1 end " +
    "until cursor == '0' return deleted";
  const pattern = `${prefix.replace(/[*?[\]\\]/g, (char) => `\\${char}`)}*`;
  const reply = await sendRedisCommand(url, ["EVAL", script, "0", pattern]);
  if (!reply.startsWith(":")) throw new Error(`Redis refused the key cleanup: ${reply}`);
  return Number(reply.slice(1));
}

/**
 * One command (after AUTH / SELECT from the URL) over a plain socket in RESP; resolves with the raw
 * first line of its reply (`+PONG`, `:3`, `-ERR ...`). Only for replies of one line.
 */
function sendRedisCommand(url: string, command: string[], timeoutMs = 1500): Promise<string> {
  const parsed = new URL(url);
  const commands: string[][] = [];
  if (parsed.password) {
    const user = decodeURIComponent(parsed.username);
    commands.push(["AUTH", ...(user ? [user] : []), decodeURIComponent(parsed.password)]);
  }
  const database = parsed.pathname.replace(/^\//, "");
  if (database) commands.push(["SELECT", database]);
  commands.push(command);
  const encode = (parts: string[]) =>
    `*${parts.length}\r\n${parts.map((part) => `$${Buffer.byteLength(part)}\r\n${part}\r\n`).join("")}`;
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: parsed.hostname || "127.0.0.1", port: Number(parsed.port || 6379) });
    let received = "";
    socket.setTimeout(timeoutMs, () => {
      socket.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms`));
    });
    socket.on("error", (error) => {
      socket.destroy();
      reject(error);
    });
    socket.on("connect", () => socket.write(commands.map(encode).join("")));
    socket.on("data", (chunk) => {
      received += chunk.toString("utf8");
      const lines = received.split("\r\n").filter(Boolean);
      const refusal = lines.find((line) => line.startsWith("-"));
      if (refusal || lines.length >= commands.length) {
        socket.destroy();
        resolve(refusal ?? lines[commands.length - 1]!);
      }
    });
  });
}

function redactUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = "***";
  return parsed.toString();
}

async function withPostgres<T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  client.on("error", () => {});
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end().catch(() => {});
  }
}

async function withMysql<T>(url: string, use: (connection: mariadb.Connection) => Promise<T>): Promise<T> {
  const connection = await mariadb.createConnection({ ...mariadbPoolConfig(url), connectTimeout: 3000 });
  connection.on("error", () => {});
  try {
    return await use(connection);
  } finally {
    await connection.end().catch(() => {});
  }
}
