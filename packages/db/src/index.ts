export { createDatabase, type Database } from "./client.ts";
export { migrateDatabase } from "./migrate.ts";
export { dataDir, defaultDatabaseUrl, repoRoot } from "./database-url.ts";
export { isUniqueConstraintError } from "./errors.ts";
export type { Session, User } from "./generated/prisma/client.ts";
export type { Prisma } from "./generated/prisma/client.ts";
