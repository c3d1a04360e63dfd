import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaMariaDb } from "@prisma/adapter-mariadb";
import { PrismaPg } from "@prisma/adapter-pg";
import { defineConfig } from "prisma/config";
import { databaseProviderOf, defaultDatabaseUrl, supportedDatabaseUrlSchemes } from "./src/database-url.ts";
import { providerPaths } from "./src/provider-schemas.ts";

// js-engine mode: the CLI runs its bundled wasm schema engine through the driver adapter, so no
// native engine is downloaded (see README, "Why Prisma 6 in js-engine mode").
// The schema reads DATABASE_URL; the CLI must see the same default the server uses.
process.env.DATABASE_URL ??= defaultDatabaseUrl();
// No update checks from the CLI: it runs offline and in CI.
process.env.CHECKPOINT_DISABLE ??= "1";

// DATABASE_URL chooses the engine, and with it the schema and the migrations folder. The mysql
// schema's datasource wants a mysql:// URL; the MariaDB driver takes both forms.
const url = process.env.DATABASE_URL;
const provider = databaseProviderOf(url);
if (!provider) throw new Error(`DATABASE_URL must start with one of: ${supportedDatabaseUrlSchemes}`);
if (provider === "mysql") process.env.DATABASE_URL = url.replace(/^mariadb:/i, "mysql:");
const paths = providerPaths(provider);

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: paths.schema,
  migrations: { path: paths.migrations },
  async adapter() {
    if (provider === "postgresql") return new PrismaPg({ connectionString: url });
    // Prisma's migrate cannot run on MySQL here: its bundled wasm schema engine has no MySQL
    // connector, and this adapter no shadow database (migrateDatabase applies MySQL migrations
    // itself, see README). `prisma generate` only needs an adapter of the schema's provider.
    if (provider === "mysql") return new PrismaMariaDb(url) as unknown as PrismaPg;
    return new PrismaBetterSQLite3({ url });
  },
});
