// `pnpm --filter @mp-auth/db generate` (run by the root postinstall): writes the PostgreSQL and
// MySQL schemas from prisma/schema.prisma, then generates one Prisma client per provider.
// prisma.config.ts picks schema and adapter by DATABASE_URL, and `prisma generate` wants the two
// to agree, so each run gets a URL of its scheme; generate never connects to it.
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { databaseProviders, providerPaths, providerSchema } from "../src/provider-schemas.ts";

const placeholderUrls = {
  sqlite: "file::memory:",
  postgresql: "postgresql://generate-only@127.0.0.1:1/none",
  mysql: "mysql://generate-only@127.0.0.1:1/none",
} as const;

const source = readFileSync(providerPaths("sqlite").schema, "utf8");
for (const provider of ["postgresql", "mysql"] as const) {
  const target = providerPaths(provider).schema;
  mkdirSync(path.dirname(target), { recursive: true });
  writeFileSync(target, providerSchema(source, provider));
}

const packageDir = path.resolve(import.meta.dirname, "..");
const prismaCli = path.join(
  path.dirname(createRequire(path.join(packageDir, "package.json")).resolve("prisma/package.json")),
  "build/index.js",
);
for (const provider of databaseProviders) {
  const result = spawnSync(process.execPath, [prismaCli, "generate", "--schema", providerPaths(provider).schema], {
    cwd: packageDir,
    stdio: "inherit",
    env: { ...process.env, DATABASE_URL: placeholderUrls[provider], CHECKPOINT_DISABLE: "1" },
  });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
