import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

/**
 * The key that encrypts secrets at rest (session_keys, cached code exchanges). Production passes
 * SESSION_KEY_ENCRYPTION_KEY (its name predates the cache); the
 * embedded default generates one into the git-ignored data folder on first start and reuses it, so
 * stored session_keys stay readable across restarts of a dev server.
 */
export function loadAtRestKey(
  configured: string | undefined,
  dataDir: string,
): { key: Buffer; source: "env" | "dev-file" } {
  if (configured) return { key: Buffer.from(configured, "base64"), source: "env" };
  const file = path.join(dataDir, "session-key-encryption.key");
  try {
    const key = Buffer.from(readFileSync(file, "utf8").trim(), "base64");
    if (key.length === 32) return { key, source: "dev-file" };
  } catch {
    // Absent: create it below.
  }
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32);
  // 'wx' flag: if another process created it meanwhile, keep theirs.
  try {
    writeFileSync(file, key.toString("base64") + "\n", { mode: 0o600, flag: "wx" });
    return { key, source: "dev-file" };
  } catch {
    return { key: Buffer.from(readFileSync(file, "utf8").trim(), "base64"), source: "dev-file" };
  }
}
