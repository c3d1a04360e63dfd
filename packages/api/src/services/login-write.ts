import { randomUUID } from "node:crypto";
import {
  isUniqueConstraintError,
  rawTransaction,
  type Database,
  type RawTransaction,
  type SqlDialect,
} from "@mp-auth/db";
import { selectedColumns, userFromRow, type LoginIdentity, type SelectedUser, type UserColumnSelect } from "./users.ts";

/** A new session row but its user (sessions.ts newSessionData). */
export interface NewSession {
  tokenHash: string;
  createdAt: Date;
  lastUsedAt: Date;
  expiresAt: Date;
  userAgent: string | null;
  clientIp: string | null;
}

export interface LoginWrite<S extends UserColumnSelect> {
  identity: LoginIdentity;
  session: NewSession;
  /**
   * The user columns the write answers: publicUserSelect, plus whatever the login decides on (a ban
   * status, say: add it to the select and it is read by the same statement).
   */
  userSelect: S;
  /**
   * Decides on the upserted user before its session is written (a ban, say): a throw rolls the
   * login back and reaches the caller as it is.
   */
  admit?: (user: SelectedUser<S>) => void;
  /**
   * More statements in the same transaction, after the user upsert and the session insert (a
   * login-history row, say): they commit with the login, and a throw rolls the whole login back.
   * May run more than once (see writeLogin's retry); write nothing outside the transaction here.
   */
  alsoInTransaction?: (tx: RawTransaction, written: LoginWritten<S>) => Promise<void>;
}

export interface LoginWritten<S extends UserColumnSelect> {
  user: SelectedUser<S>;
  sessionId: string;
}

/**
 * The write of a login, in one transaction: the user upserted on (appid, openid) (created on the
 * first login; unionid, session_key and lastLoginAt refreshed after that; a known unionid never
 * erased), then the new session inserted. Through the driver adapter (rawTransaction): two
 * statements (three on MySQL) compiled once per process instead of Prisma's compile of every query,
 * which was about a third of a login's CPU. Ids are made here (UUIDs), as Prisma's @default(cuid())
 * would have been: the columns have no database default.
 *
 * The upsert is one atomic statement on every engine (ON CONFLICT / ON DUPLICATE KEY UPDATE), so
 * concurrent first logins of one openid land on one row. A unique violation (a collision the upsert
 * does not cover) or a deadlock (InnoDB can pick an upsert as its victim) rolled the whole
 * transaction back, so it is retried, twice at most, as the Prisma version was. Only the database's
 * own lock is held: the SQLite write lock (BEGIN IMMEDIATE) or the user's row lock, for the
 * duration of these statements and nothing else.
 */
export async function writeLogin<S extends UserColumnSelect>(
  db: Database,
  login: LoginWrite<S>,
): Promise<LoginWritten<S>> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await rawTransaction(db, async (tx) => {
        const sql = statementsFor(tx.dialect, login.userSelect);
        const { identity, session } = login;
        const upsertArgs = [
          randomUUID(),
          identity.appid,
          identity.openid,
          // unionid only appears once the app is bound to an Open Platform account; NULL keeps a known one.
          identity.unionid || null,
          identity.sessionKeyCiphertext,
          identity.now,
          identity.now,
          identity.now,
          identity.now,
        ];
        let row: Record<string, unknown> | undefined;
        if (sql.selectUser) {
          await tx.run(sql.upsertUser, upsertArgs);
          [row] = await tx.rows(sql.selectUser, [identity.appid, identity.openid]);
        } else {
          [row] = await tx.rows(sql.upsertUser, upsertArgs);
        }
        if (!row) throw new Error("the login upsert answered no user row");
        const user = userFromRow(row, login.userSelect);
        login.admit?.(user);
        const sessionId = randomUUID();
        await tx.run(sql.insertSession, [
          sessionId,
          session.tokenHash,
          row.id as string,
          session.createdAt,
          session.lastUsedAt,
          session.expiresAt,
          session.userAgent,
          session.clientIp,
        ]);
        const written = { user, sessionId };
        await login.alsoInTransaction?.(tx, written);
        return written;
      });
    } catch (error) {
      if (attempt < 3 && (isUniqueConstraintError(error) || isWriteConflict(error))) continue;
      throw error;
    }
  }
}

/** A deadlock or serialization failure: the adapter's kind for PostgreSQL 40001 and MySQL 1213. */
function isWriteConflict(error: unknown): boolean {
  const cause = (error as { cause?: { kind?: unknown } } | null)?.cause;
  return typeof cause === "object" && cause?.kind === "TransactionWriteConflict";
}

interface LoginStatements {
  /** SQLite / PostgreSQL: answers the user row (RETURNING). MySQL: only writes. */
  upsertUser: string;
  /** MySQL only (no RETURNING): reads the row the upsert wrote, under the lock it holds. */
  selectUser?: string;
  insertSession: string;
}

/** `id` is always read: the session row needs it, whatever the caller selected. */
const upsertColumns = [
  "id",
  "appid",
  "openid",
  "unionid",
  "sessionKeyCiphertext",
  "sessionKeyUpdatedAt",
  "lastLoginAt",
  "createdAt",
  "updatedAt",
] as const;
/** What a returning user's login changes; unionid apart (kept when NULL). */
const refreshedColumns = ["sessionKeyCiphertext", "sessionKeyUpdatedAt", "lastLoginAt", "updatedAt"] as const;
const sessionColumns = [
  "id",
  "tokenHash",
  "userId",
  "createdAt",
  "lastUsedAt",
  "expiresAt",
  "userAgent",
  "clientIp",
] as const;

/** Built once per dialect and select (the select objects are module constants). */
const statementCache = new Map<string, LoginStatements>();

function statementsFor(dialect: SqlDialect, select: UserColumnSelect): LoginStatements {
  const returned = [...new Set(["id", ...selectedColumns(select)])];
  const key = `${dialect}:${returned.join(",")}`;
  let statements = statementCache.get(key);
  if (!statements) {
    statements = buildStatements(dialect, returned);
    statementCache.set(key, statements);
  }
  return statements;
}

function buildStatements(dialect: SqlDialect, returned: string[]): LoginStatements {
  const q = (name: string) => (dialect === "mysql" ? `\`${name}\`` : `"${name}"`);
  const list = (names: readonly string[]) => names.map(q).join(", ");
  let placeholder = 0;
  const next = () => (dialect === "postgres" ? `$${++placeholder}` : "?");
  const values = (count: number) => Array.from({ length: count }, next).join(", ");

  const insertUser = `INSERT INTO ${q("User")} (${list(upsertColumns)}) VALUES (${values(upsertColumns.length)})`;
  placeholder = 0;
  const insertSession = `INSERT INTO ${q("Session")} (${list(sessionColumns)}) VALUES (${values(sessionColumns.length)})`;

  if (dialect === "mysql") {
    const refreshed = refreshedColumns.map((column) => `${q(column)} = VALUES(${q(column)})`).join(", ");
    return {
      upsertUser:
        `${insertUser} ON DUPLICATE KEY UPDATE ${q("unionid")} = COALESCE(VALUES(${q("unionid")}), ${q("unionid")}), ` +
        refreshed,
      selectUser: `SELECT ${list(returned)} FROM ${q("User")} WHERE ${q("appid")} = ? AND ${q("openid")} = ?`,
      insertSession,
    };
  }
  const refreshed = refreshedColumns.map((column) => `${q(column)} = excluded.${q(column)}`).join(", ");
  return {
    upsertUser:
      `${insertUser} ON CONFLICT (${list(["appid", "openid"])}) DO UPDATE SET ` +
      `${q("unionid")} = COALESCE(excluded.${q("unionid")}, ${q("User")}.${q("unionid")}), ${refreshed} ` +
      `RETURNING ${list(returned)}`,
    insertSession,
  };
}
