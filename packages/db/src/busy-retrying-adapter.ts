import { setTimeout as sleep } from "node:timers/promises";
import type { SqlDriverAdapterFactory } from "@prisma/client/runtime/client";
import { DatabaseBusyError, DatabaseUnavailableError, databaseErrorReason } from "./errors.ts";
import type { FileHealthMonitor } from "./file-health.ts";
import { startWalCheckpointer, type WalCheckpointer, type WalCheckpointSettings } from "./wal-checkpointer.ts";
import { openWalIndexHeader, walIndexChangeCounter, type WalIndexHeader } from "./wal-index-header.ts";

type SqlDriverAdapter = Awaited<ReturnType<SqlDriverAdapterFactory["connect"]>>;
type SqlQuery = Parameters<SqlDriverAdapter["queryRaw"]>[0];
type SqlResultSet = Awaited<ReturnType<SqlDriverAdapter["queryRaw"]>>;
type Transaction = Awaited<ReturnType<SqlDriverAdapter["startTransaction"]>>;

export interface BusyRetryOptions {
  /** The database file, for error messages. */
  file: string;
  /** How long a write waits, in total, for another process's write lock before DatabaseBusyError. */
  busyTimeoutMs: number;
  /** Starts watching the file once the driver opened it; queries fail fast once it is gone or read-only. */
  watchFile: () => FileHealthMonitor;
  /**
   * WAL checkpoints on a worker thread (wal-checkpointer.ts) instead of inside the commit that
   * fills the WAL; false keeps SQLite's own. Ignored for `:memory:`.
   */
  backgroundCheckpoints: false | WalCheckpointSettings;
}

export interface ConnectedDatabase {
  readonly adapter: SqlDriverAdapter;
  readonly monitor: FileHealthMonitor;
  /** The same connection without the adapter's per-statement prepare; undefined if the driver hides it. */
  readonly direct: DirectConnection | undefined;
}

/** What the better-sqlite3 handle inside Prisma's adapter offers that this module uses. */
interface BetterSqliteHandle {
  prepare(sql: string): {
    all(...args: unknown[]): unknown[];
    run(...args: unknown[]): { changes: number | bigint };
    pluck(toggle?: boolean): { get(): unknown };
  };
}

/**
 * Hot statements on the adapter's own connection, with prepared statements kept (Prisma's adapter
 * prepares every statement again: about 12% of a session check), still behind the same connection
 * lock, busy retries and file-health guard as every Prisma statement.
 */
export interface DirectConnection {
  /** Rows as objects keyed by column name; integers as bigint (the driver runs with safe integers). */
  rows(sql: string, args: readonly unknown[]): Promise<Record<string, unknown>[]>;
  /**
   * A write that changes no column any in-process cache holds (a session's lastUsedAt): it does not
   * advance `changeStamp`. Every other write, through Prisma or here, does.
   */
  runCacheNeutral(sql: string, args: readonly unknown[]): Promise<number>;
  /**
   * A value that differs after any write committed to the file by ANOTHER connection or after any
   * write statement entered or left on THIS one (but runCacheNeutral). Equal stamps at two moments
   * mean nothing in the file changed in between. Undefined when it cannot be read (file problem):
   * treat as "changed". Other connections' commits are seen in the WAL-index header
   * (wal-index-header.ts: one pread, no statement), or, where there is none (`:memory:`), through
   * `PRAGMA data_version`.
   */
  changeStamp(): string | undefined;
  /**
   * Kept prepared statements for a transaction the caller has open on this connection (through the
   * adapter's startTransaction, which holds the connection lock): no lock taken here. Synchronous,
   * as the driver is. Arguments as the driver binds them (text, numbers, null).
   */
  readonly inTransaction: {
    rows(sql: string, args: readonly unknown[]): Record<string, unknown>[];
    run(sql: string, args: readonly unknown[]): number;
  };
}

/**
 * Wraps Prisma's better-sqlite3 adapter factory so that waiting for SQLite's write lock never blocks
 * the event loop. better-sqlite3 is synchronous: its own busy timeout spins inside the call and
 * freezes every request. The driver therefore runs with a busy timeout of 0 and this wrapper retries
 * a SQLITE_BUSY statement on timers (short backoff) until `busyTimeoutMs`, then throws
 * DatabaseBusyError.
 *
 * Retrying is only safe where a busy statement had no effect: a statement outside a transaction
 * (autocommit) and `BEGIN IMMEDIATE`. So transactions begin with BEGIN IMMEDIATE: they take the
 * write lock first (retried here), and nothing inside can then be busy. A deferred BEGIN would take
 * the lock at its first write, after reads, and a busy there could not be retried.
 *
 * One connection serves the whole process, so statements outside a transaction wait while one is
 * open on it; otherwise they would run inside that transaction and vanish with its rollback.
 */
export function busyRetryingAdapterFactory(
  inner: SqlDriverAdapterFactory,
  options: BusyRetryOptions,
): SqlDriverAdapterFactory & { readonly current: () => ConnectedDatabase | undefined } {
  let current: ConnectedDatabase | undefined;
  return {
    provider: inner.provider,
    adapterName: inner.adapterName,
    current: () => current,
    async connect() {
      const driver = await inner.connect();
      const monitor = options.watchFile();
      const wrapped = wrapAdapter(driver, options, monitor);
      current = { adapter: wrapped.adapter, monitor, direct: wrapped.direct };
      return wrapped.adapter;
    },
  };
}

function wrapAdapter(
  inner: SqlDriverAdapter,
  options: BusyRetryOptions,
  monitor: FileHealthMonitor,
): { adapter: SqlDriverAdapter; direct: DirectConnection | undefined } {
  const { file, busyTimeoutMs } = options;
  // Advanced when any write statement enters and again when it leaves (see changeStamp): a read
  // that started before a write and finished after it can then never be taken for current.
  let writeEpoch = 0;
  const counted = <T>(sql: string | undefined, run: () => Promise<T>): Promise<T> => {
    if (sql !== undefined && isPlainSelect(sql)) return run();
    writeEpoch++;
    return run().finally(() => writeEpoch++);
  };
  // A FIFO lock: a chain of promises, each holder releasing the next.
  let tail: Promise<void> = Promise.resolve();
  const acquire = async (): Promise<() => void> => {
    let release!: () => void;
    const previous = tail;
    tail = new Promise<void>((resolve) => (release = resolve));
    await previous;
    return release;
  };

  const failIfUnavailable = () => {
    const problem = monitor.guard();
    if (problem) throw new DatabaseUnavailableError(file, problem);
  };

  /** Runs `attempt` until it is not busy; waits on timers, never inside the driver. */
  const retryWhileBusy = async <T>(attempt: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    for (let delayMs = 2; ; delayMs = Math.min(delayMs * 2, 50)) {
      failIfUnavailable();
      try {
        return await attempt();
      } catch (error) {
        const reason = databaseErrorReason(error);
        if (reason === "DATABASE_UNAVAILABLE") {
          // SQLite noticed first (read-only, I/O error): name the cause if the file watch finds it.
          const problem = await monitor.check();
          if (problem) throw new DatabaseUnavailableError(file, problem);
          throw error;
        }
        if (reason !== "DATABASE_BUSY") throw error;
        const waited = performance.now() - started;
        if (waited >= busyTimeoutMs) throw new DatabaseBusyError(file, Math.round(waited));
        await sleep(Math.min(delayMs, Math.max(1, busyTimeoutMs - waited)));
      }
    }
  };

  const outsideTransaction = async <T>(attempt: () => Promise<T>): Promise<T> => {
    return retryWhileBusy(async () => {
      const release = await acquire();
      try {
        return await attempt();
      } finally {
        release();
      }
    });
  };

  const insideTransaction = async <T>(attempt: () => Promise<T>): Promise<T> => {
    failIfUnavailable();
    try {
      return await attempt();
    } catch (error) {
      if (databaseErrorReason(error) === "DATABASE_UNAVAILABLE") {
        const problem = await monitor.check();
        if (problem) throw new DatabaseUnavailableError(file, problem);
      }
      throw error;
    }
  };

  const walIndex = file === ":memory:" ? undefined : openWalIndexHeader(file);
  const direct = directConnection(inner, {
    outsideTransaction,
    failIfUnavailable,
    writeEpoch: () => writeEpoch,
    walIndex,
    knownProblem: monitor.problem,
  });

  const handle = driverHandle(inner);
  const checkpointer: WalCheckpointer | undefined =
    options.backgroundCheckpoints && handle && file !== ":memory:"
      ? startWalCheckpointer({
          file,
          monitor,
          ...options.backgroundCheckpoints,
          setAutoCheckpoint: (pages) => {
            try {
              // A setting of this connection: no lock, no write, no access to the -shm mapping.
              handle.prepare(`PRAGMA wal_autocheckpoint = ${pages}`).all();
            } catch {
              // Closed meanwhile: nothing left to checkpoint through it.
            }
          },
        })
      : undefined;

  const adapter: SqlDriverAdapter = {
    provider: inner.provider,
    adapterName: inner.adapterName,
    queryRaw: (query: SqlQuery): Promise<SqlResultSet> =>
      counted(query.sql, () => outsideTransaction(() => inner.queryRaw(query))),
    executeRaw: (query: SqlQuery): Promise<number> =>
      counted(query.sql, () => outsideTransaction(() => inner.executeRaw(query))),
    executeScript: (script: string) => counted(undefined, () => outsideTransaction(() => inner.executeScript(script))),
    getConnectionInfo: inner.getConnectionInfo?.bind(inner),
    dispose: async () => {
      monitor.close();
      // First: its connection must close while this one is still open (wal-checkpoint-worker.mjs).
      await checkpointer?.stop();
      // Closing checkpoints through the -shm mapping; after it shrank that is a SIGBUS. Leaving the
      // handle open is the lesser harm: the process is about to be restarted anyway.
      if (monitor.mappingUnsafe()) return;
      await inner.dispose();
      // Only now: closing it earlier would drop SQLite's own locks on -shm (wal-index-header.ts).
      walIndex?.close();
    },
    async startTransaction(isolationLevel): Promise<Transaction> {
      if (isolationLevel && isolationLevel !== "SERIALIZABLE") {
        // SQLite transactions are serializable; the inner adapter refuses other levels the same way.
        return inner.startTransaction(isolationLevel);
      }
      // The whole transaction counts as one write: entered here, left after COMMIT or ROLLBACK.
      writeEpoch++;
      // The connection is released between attempts, so reads go on while the write lock is awaited.
      const release = await retryWhileBusy(async () => {
        const releaseConnection = await acquire();
        try {
          await inner.executeRaw({ sql: "BEGIN IMMEDIATE", args: [], argTypes: [] });
          return releaseConnection;
        } catch (error) {
          releaseConnection();
          throw error;
        }
      });
      let open = true;
      const end = async (statement: "COMMIT" | "ROLLBACK") => {
        if (!open) return;
        open = false;
        try {
          await inner.executeRaw({ sql: statement, args: [], argTypes: [] });
        } finally {
          writeEpoch++;
          release();
        }
      };
      return {
        provider: inner.provider,
        adapterName: inner.adapterName,
        // Prisma sends no COMMIT/ROLLBACK itself with a phantom query: commit() and rollback() do.
        options: { usePhantomQuery: true },
        queryRaw: (query: SqlQuery) => counted(query.sql, () => insideTransaction(() => inner.queryRaw(query))),
        executeRaw: (query: SqlQuery) => counted(query.sql, () => insideTransaction(() => inner.executeRaw(query))),
        commit: () => end("COMMIT"),
        rollback: () => end("ROLLBACK"),
      };
    },
  };
  return { adapter, direct };
}

/** A statement that only reads: SELECT without a write hidden in it. Anything else counts as a write. */
function isPlainSelect(sql: string): boolean {
  return /^\s*SELECT\b/i.test(sql) && !/\b(INSERT|UPDATE|DELETE|REPLACE)\b/i.test(sql);
}

const maxPreparedStatements = 64;

interface DirectConnectionParts {
  outsideTransaction: <T>(attempt: () => Promise<T>) => Promise<T>;
  failIfUnavailable: () => void;
  writeEpoch: () => number;
  /** Undefined for `:memory:` (no -shm file): PRAGMA data_version instead. */
  walIndex: WalIndexHeader | undefined;
  /** The file watch's last finding, without a check (free). */
  knownProblem: () => string | undefined;
}

/** Prisma's better-sqlite3 adapter keeps the driver handle in `client`; undefined if it does not. */
function driverHandle(inner: SqlDriverAdapter): BetterSqliteHandle | undefined {
  const handle = (inner as unknown as { client?: BetterSqliteHandle }).client;
  return handle && typeof handle.prepare === "function" ? handle : undefined;
}

function directConnection(inner: SqlDriverAdapter, parts: DirectConnectionParts): DirectConnection | undefined {
  const { outsideTransaction, failIfUnavailable, writeEpoch, walIndex, knownProblem } = parts;
  // Without the driver handle, no fast path.
  const handle = driverHandle(inner);
  if (!handle) return undefined;
  // Hot statements are a handful of fixed strings; the bound keeps a caller's mistake from growing it.
  const prepared = new Map<string, ReturnType<BetterSqliteHandle["prepare"]>>();
  const statement = (sql: string) => {
    let found = prepared.get(sql);
    if (!found) {
      if (prepared.size >= maxPreparedStatements) prepared.clear();
      found = handle.prepare(sql);
      prepared.set(sql, found);
    }
    return found;
  };
  const dataVersion = handle.prepare("PRAGMA data_version").pluck();

  // Other connections' commits, counted: `otherCommits` moves whenever the WAL-index header differs
  // from `knownHeader`, the last header accounted for. This connection's own cache-neutral commits
  // are accounted for by runCacheNeutral below, so they move nothing; every other own write moves
  // the header too, and writeEpoch besides.
  let otherCommits = 0;
  let knownHeader: Buffer | undefined;
  const observeHeader = (header: Buffer) => {
    if (knownHeader?.equals(header)) return;
    knownHeader = Buffer.from(header);
    otherCommits++;
  };

  /**
   * A cache-neutral write in its own transaction, so that its commit can be told apart from anyone
   * else's: under BEGIN IMMEDIATE no other connection can commit, so the header read then is the
   * one just before ours; if the header after COMMIT counts exactly one more commit, it was ours
   * and the caches holding the header before may keep it. Anything else (a commit of another
   * process before ours or right after it, a WAL restart, an unreadable header) is left for
   * changeStamp to count as a change: the error is always towards "changed".
   */
  const runNeutral = (sql: string, args: readonly unknown[]): number => {
    // No header to tell commits apart (`:memory:`): data_version never counts this connection's own.
    if (!walIndex) return Number(statement(sql).run(...args).changes);
    statement("BEGIN IMMEDIATE").run();
    let changes: number;
    let before: Buffer | undefined;
    try {
      const header = walIndex.read();
      before = header && Buffer.from(header);
      changes = Number(statement(sql).run(...args).changes);
      statement("COMMIT").run();
    } catch (error) {
      try {
        statement("ROLLBACK").run();
      } catch {
        // No transaction left to roll back (SQLite ended it on the error): the error above is the news.
      }
      throw error;
    }
    const after = walIndex.read();
    if (
      before &&
      after &&
      knownHeader?.equals(before) &&
      walIndexChangeCounter(after) === (walIndexChangeCounter(before) + 1) % 2 ** 32
    ) {
      knownHeader = Buffer.from(after);
    }
    return changes;
  };

  return {
    inTransaction: {
      rows: (sql, args) => {
        failIfUnavailable();
        return statement(sql).all(...args) as Record<string, unknown>[];
      },
      run: (sql, args) => {
        failIfUnavailable();
        return Number(statement(sql).run(...args).changes);
      },
    },
    rows: (sql, args) => outsideTransaction(async () => statement(sql).all(...args) as Record<string, unknown>[]),
    runCacheNeutral: (sql, args) => outsideTransaction(async () => runNeutral(sql, args)),
    changeStamp: () => {
      // A problem the file watch found (deleted, replaced, read-only, -shm truncated): "changed", so
      // the caller goes to the database, whose guard answers DATABASE_UNAVAILABLE.
      if (knownProblem()) return undefined;
      const header = walIndex?.read();
      if (header) {
        observeHeader(header);
        return `${otherCommits}:${writeEpoch()}`;
      }
      try {
        // Reading data_version touches the WAL index (the -shm mapping): the same guard as a statement.
        failIfUnavailable();
        return `v${String(dataVersion.get())}:${writeEpoch()}`;
      } catch {
        return undefined;
      }
    },
  };
}
