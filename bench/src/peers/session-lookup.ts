import { createHash } from "node:crypto";
import Database from "better-sqlite3";
import { peerPort } from "./peer-port.ts";

/**
 * The lookup every peer does, written once: the same work the project's `authenticateSession`
 * does for `user.me`, through prepared better-sqlite3 statements instead of Prisma. Bearer token ->
 * format check -> SHA-256 -> session joined with its user -> revoked? expired? -> lastUsedAt
 * written at most once a minute -> the public profile, timestamps as ISO-8601 strings.
 */

const TOKEN_PATTERN = /^mpa_[A-Za-z0-9_-]{43}$/;
const BEARER_PATTERN = /^Bearer\s+(\S+)\s*$/i;
const LAST_USED_RESOLUTION_MS = 60_000;

export interface PublicProfile {
  id: string;
  nickname: string | null;
  avatarUrl: string | null;
  phoneNumber: string | null;
  createdAt: string;
  lastLoginAt: string;
}

export type LookupResult =
  | { ok: true; profile: PublicProfile }
  | { ok: false; reason: "NO_TOKEN" | "MALFORMED_TOKEN" | "UNKNOWN_TOKEN" | "REVOKED" | "EXPIRED" };

interface SessionRow {
  sessionId: string;
  expiresAt: string;
  revokedAt: string | null;
  lastUsedAt: string;
  id: string;
  nickname: string | null;
  avatarUrl: string | null;
  phoneNumber: string | null;
  createdAt: string;
  lastLoginAt: string;
}

/** Prisma's SQLite adapter stores DateTime as ISO-8601 text ("...T09:13:09.844+00:00"). */
function toDate(value: string): Date {
  return new Date(value);
}

/** Written back in the adapter's own format, so Prisma reads what a peer wrote. */
function toStoredDate(ms: number): string {
  return new Date(ms).toISOString().replace("Z", "+00:00");
}

export function openSessionLookup(file: string) {
  const db = new Database(file, { fileMustExist: true });
  db.pragma("journal_mode = WAL");
  db.pragma("busy_timeout = 3000");
  const select = db.prepare<[string], SessionRow>(
    `SELECT s."id" AS sessionId, s."expiresAt" AS expiresAt, s."revokedAt" AS revokedAt, s."lastUsedAt" AS lastUsedAt,
            u."id" AS id, u."nickname" AS nickname, u."avatarUrl" AS avatarUrl, u."phoneNumber" AS phoneNumber,
            u."createdAt" AS createdAt, u."lastLoginAt" AS lastLoginAt
       FROM "Session" s JOIN "User" u ON u."id" = s."userId"
      WHERE s."tokenHash" = ?`,
  );
  const touch = db.prepare<[string, string]>(`UPDATE "Session" SET "lastUsedAt" = ? WHERE "id" = ?`);

  return {
    lookup(authorization: string | undefined): LookupResult {
      if (!authorization?.trim()) return { ok: false, reason: "NO_TOKEN" };
      const token = BEARER_PATTERN.exec(authorization.trim())?.[1];
      if (!token || !TOKEN_PATTERN.test(token)) return { ok: false, reason: "MALFORMED_TOKEN" };
      const row = select.get(createHash("sha256").update(token, "utf8").digest("hex"));
      if (!row) return { ok: false, reason: "UNKNOWN_TOKEN" };
      if (row.revokedAt !== null) return { ok: false, reason: "REVOKED" };
      const now = Date.now();
      if (toDate(row.expiresAt).getTime() <= now) return { ok: false, reason: "EXPIRED" };
      if (now - toDate(row.lastUsedAt).getTime() > LAST_USED_RESOLUTION_MS) touch.run(toStoredDate(now), row.sessionId);
      return {
        ok: true,
        profile: {
          id: row.id,
          nickname: row.nickname,
          avatarUrl: row.avatarUrl,
          phoneNumber: row.phoneNumber,
          createdAt: toDate(row.createdAt).toISOString(),
          lastLoginAt: toDate(row.lastLoginAt).toISOString(),
        },
      };
    },
    close: () => db.close(),
  };
}

/** The port each peer listens on (127.0.0.1) and the SQLite file it reads, from its environment. */
export function peerSettings(): { port: number; file: string } {
  const file = process.env.BENCH_DATABASE_FILE;
  if (!file) {
    console.error("peer: set BENCH_DATABASE_FILE to the SQLite file");
    process.exit(1);
  }
  return { port: peerPort(), file };
}

/** Peers stop on SIGTERM like the real server, closing the database. */
export function stopOnSignals(close: () => void): void {
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      close();
      process.exit(0);
    });
  }
}
