import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaClient } from "./generated/prisma/client.ts";

export type Database = PrismaClient;

/**
 * A Prisma client on the embedded SQLite driver adapter. `url` is a `file:` URL; the file is created
 * on first use. WAL mode lets readers (session checks) run while a login writes.
 */
export async function createDatabase(url: string): Promise<Database> {
  const adapter = new PrismaBetterSQLite3({ url, timeout: 10_000 });
  const db = new PrismaClient({ adapter });
  await db.$executeRawUnsafe("PRAGMA journal_mode = WAL");
  await db.$executeRawUnsafe("PRAGMA foreign_keys = ON");
  return db;
}
