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
