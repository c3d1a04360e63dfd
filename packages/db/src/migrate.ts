import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/**
 * Applies every pending migration in prisma/migrations with Prisma's own `migrate deploy`, so the
 * server can start on an empty database with nothing run by hand. Idempotent: a migrated database
 * costs one quick CLI round.
 */
export async function migrateDatabase(url: string): Promise<void> {
  const require = createRequire(path.join(packageDir, "package.json"));
  const prismaCli = path.join(path.dirname(require.resolve("prisma/package.json")), "build/index.js");
  try {
    await run(process.execPath, [prismaCli, "migrate", "deploy"], {
      cwd: packageDir,
      env: { ...process.env, DATABASE_URL: url, CHECKPOINT_DISABLE: "1", PRISMA_HIDE_UPDATE_MESSAGE: "1" },
      timeout: 120_000,
    });
  } catch (error) {
    const output = error as { stdout?: string; stderr?: string };
    // The CLI's output names the database file and the failing migration, never a secret.
    throw new Error(`Database migration failed:\n${output.stderr || output.stdout || String(error)}`);
  }
}
