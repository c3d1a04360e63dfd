import { mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root, found from this file so it works from any working directory. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

/** Git-ignored folder for the embedded database and the generated dev key. */
export const dataDir = path.join(repoRoot, ".data");

/** `file:<repo>/.data/dev.db`, with the folder created on demand. */
export function defaultDatabaseUrl(): string {
  mkdirSync(dataDir, { recursive: true });
  return `file:${path.join(dataDir, "dev.db")}`;
}

/**
 * The engine a DATABASE_URL names, by its scheme: `file:` SQLite, `postgresql://` (or `postgres://`)
 * PostgreSQL, `mysql://` or `mariadb://` MySQL 5.7+/8 and MariaDB. Undefined for anything else.
 */
export function databaseProviderOf(url: string): "sqlite" | "postgresql" | "mysql" | undefined {
  const scheme = url.slice(0, url.indexOf(":") + 1).toLowerCase();
  if (scheme === "file:") return "sqlite";
  if (scheme === "postgresql:" || scheme === "postgres:") return "postgresql";
  if (scheme === "mysql:" || scheme === "mariadb:") return "mysql";
  return undefined;
}

/** The URL schemes DATABASE_URL accepts, for messages. */
export const supportedDatabaseUrlSchemes =
  "file: (SQLite), postgresql:// (PostgreSQL), mysql:// or mariadb:// (MySQL, MariaDB)";

/**
 * A server database URL without its credentials and query, for messages and logs:
 * `postgresql://127.0.0.1:5432/app`. A URL that does not parse is named by its scheme only.
 */
export function describeDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return `${url.slice(0, url.indexOf(":") + 1)}//(a URL that does not parse)`;
  }
}
