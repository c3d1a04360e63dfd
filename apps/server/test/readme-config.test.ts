import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { serverEnvSchema } from "../src/env.ts";

/**
 * The README's configuration table is a contract: every setting the server reads has a row, and
 * every row names a setting the server reads.
 */
const readme = readFileSync(path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../README.md"), "utf8");

function configurationTableVariables(): string[] {
  const section = readme.split(/^## Configuration$/m)[1]?.split(/^## /m)[0] ?? "";
  return [...section.matchAll(/^\| `([A-Z][A-Z0-9_]*)` \|/gm)].map((match) => match[1]!);
}

describe("README configuration table", () => {
  it("lists exactly the variables the server's schema reads", () => {
    const documented = configurationTableVariables();
    expect(documented.length).toBeGreaterThan(10);
    expect(new Set(documented).size).toBe(documented.length);
    expect([...documented].sort()).toEqual(Object.keys(serverEnvSchema.shape).sort());
  });
});
