import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildServer, repoRoot, staleReason } from "../scripts/build.mjs";

/**
 * The production bundle and its staleness check, built into a temp folder (dist/ is left alone).
 * `pnpm serve` relies on both: it rebuilds exactly when the check says so.
 */

const outDir = mkdtempSync(path.join(tmpdir(), "mp-auth-build-"));
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

beforeAll(() => buildServer({ outDir }), 120_000);

describe("the server build", () => {
  it("writes an ESM bundle with a source map, and nothing of tsx", () => {
    const bundle = readFileSync(path.join(outDir, "main.mjs"), "utf8");
    expect(existsSync(path.join(outDir, "main.mjs.map"))).toBe(true);
    expect(bundle).toContain("sourceMappingURL=main.mjs.map");
    expect(bundle).not.toMatch(/from "tsx|import\("tsx/);
    // The native addon and Prisma's wasm stay in node_modules, reached by relative paths.
    expect(bundle).toMatch(/from "\.\.\/[^"]*node_modules\/\.pnpm\/better-sqlite3@[^"]+"/);
    expect(bundle).toMatch(/import\("\.\.\/[^"]*node_modules\/[^"]+query_compiler_bg\.sqlite\.wasm-base64\.mjs"\)/);
  });

  it("records every bundled source of the server and the workspace packages, and the lockfile", () => {
    const { inputs } = JSON.parse(readFileSync(path.join(outDir, "build-stamp.json"), "utf8")) as {
      inputs: string[];
    };
    for (const folder of [
      "apps/server/src/",
      "packages/api/src/",
      "packages/db/src/",
      "packages/db/src/generated/prisma/",
      "packages/wechat/src/",
      "packages/contract/src/",
    ]) {
      expect(
        inputs.some((input) => input.startsWith(folder)),
        folder,
      ).toBe(true);
    }
    expect(inputs).toContain("pnpm-lock.yaml");
    expect(inputs).toContain("apps/server/src/main.ts");
    expect(inputs.some((input) => input.includes("node_modules"))).toBe(false);
  });

  it("is up to date right after the build, and stale once a bundled source of a workspace package changes", () => {
    expect(staleReason({ outDir })).toBeUndefined();
    // Bumps one file's mtime and puts it back (to the millisecond: the real dist/ may rebuild once).
    const file = path.join(repoRoot, "packages/contract/src/index.ts");
    const { atime, mtime } = statSync(file);
    try {
      utimesSync(file, atime, new Date(mtime.getTime() + 5000));
      expect(staleReason({ outDir })).toBe("a source file changed");
    } finally {
      utimesSync(file, atime, mtime);
    }
  });

  it("is stale when the bundle is missing", () => {
    expect(staleReason({ outDir: path.join(outDir, "nowhere") })).toBe("dist/main.mjs is missing");
  });
});
