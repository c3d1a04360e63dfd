import path from "node:path";
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { defineConfig } from "prisma/config";
import { defaultDatabaseUrl } from "./src/database-url.ts";

// js-engine mode: the CLI runs its bundled wasm schema engine through the driver adapter, so no
// native engine is downloaded (see README, "Why Prisma 6 in js-engine mode").
// The schema reads DATABASE_URL; the CLI must see the same default the server uses.
process.env.DATABASE_URL ??= defaultDatabaseUrl();
// No update checks from the CLI: it runs offline and in CI.
process.env.CHECKPOINT_DISABLE ??= "1";

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: path.join(import.meta.dirname, "../../prisma/schema.prisma"),
  migrations: { path: path.join(import.meta.dirname, "../../prisma/migrations") },
  async adapter() {
    return new PrismaBetterSQLite3({ url: process.env.DATABASE_URL ?? defaultDatabaseUrl() });
  },
});
