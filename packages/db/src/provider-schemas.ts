import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The three database engines. SQLite is the embedded default; PostgreSQL and MySQL/MariaDB are for
 * several server instances sharing one database.
 */
export type DatabaseProvider = "sqlite" | "postgresql" | "mysql";

export const databaseProviders: readonly DatabaseProvider[] = ["sqlite", "postgresql", "mysql"];

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
/** The repository's top-level prisma/ folder. */
export const prismaDir = path.resolve(packageDir, "../../prisma");

/**
 * Where each provider's schema and migrations live. prisma/schema.prisma is the one model file
 * (SQLite, so its migrations stay in prisma/migrations, the folder existing databases were migrated
 * from); the PostgreSQL and MySQL schemas are written from it by scripts/generate-schemas.ts.
 */
export function providerPaths(provider: DatabaseProvider): { schema: string; migrations: string } {
  if (provider === "sqlite") {
    return { schema: path.join(prismaDir, "schema.prisma"), migrations: path.join(prismaDir, "migrations") };
  }
  return {
    schema: path.join(prismaDir, provider, "schema.prisma"),
    migrations: path.join(prismaDir, provider, "migrations"),
  };
}

/**
 * The folder of each provider's generated client, inside packages/db/src/generated. SQLite's keeps
 * the name it had before there were three (`prisma`): the server's bundle build names it.
 */
export function clientFolderName(provider: DatabaseProvider): string {
  return provider === "sqlite" ? "prisma" : provider;
}

/**
 * The schema of `provider`, written from the source schema (prisma/schema.prisma). What changes:
 * - the datasource provider;
 * - the generator's output folder (one client per provider: Prisma bakes the provider into it);
 * - MySQL only: a String column in no index, no id and no relation becomes TEXT (`@db.Text`).
 *   Prisma maps String to VARCHAR(191) there, so an avatarUrl of up to 1024 characters, a
 *   256-character user agent or a 20-grapheme nickname (an emoji can be several code points) would
 *   fail with "Data too long". Indexed columns keep VARCHAR(191): utf8mb4 index prefixes of older
 *   row formats stop at 767 bytes.
 * The SQL types PostgreSQL gets by default (text, timestamp(3)) need nothing.
 */
export function providerSchema(source: string, provider: DatabaseProvider): string {
  if (provider === "sqlite") return source;
  const lines = source.split("\n");
  const out: string[] = [
    `// GENERATED from prisma/schema.prisma by packages/db/scripts/generate-schemas.ts: do not edit.`,
    `// Edit prisma/schema.prisma and run \`pnpm --filter @mp-auth/db generate\`.`,
  ];
  const indexed = provider === "mysql" ? indexedFields(lines) : new Map<string, Set<string>>();
  let block: { kind: string; name: string } | undefined;
  for (const line of lines) {
    const opening = line.match(/^(generator|datasource|model|enum)\s+(\w+)\s*\{/);
    if (opening) block = { kind: opening[1]!, name: opening[2]! };
    else if (/^\}/.test(line)) block = undefined;

    if (block?.kind === "datasource" && /^\s*provider\s*=/.test(line)) {
      out.push(line.replace(/"sqlite"/, `"${provider}"`));
    } else if (block?.kind === "generator" && /^\s*output\s*=/.test(line)) {
      out.push(line.replace(/"[^"]*"/, `"../../packages/db/src/generated/${clientFolderName(provider)}"`));
    } else if (block?.kind === "model" && provider === "mysql") {
      out.push(textColumnForMysql(line, indexed.get(block.name) ?? new Set()));
    } else {
      out.push(line);
    }
  }
  return out.join("\n");
}

/** The output folder the source schema's generator must name, for the SQLite client. */
export const sqliteClientOutput = `../packages/db/src/generated/${clientFolderName("sqlite")}`;

function textColumnForMysql(line: string, indexed: Set<string>): string {
  const field = line.match(/^(\s+)(\w+)(\s+)String(\??)(\s*)(.*)$/);
  if (!field) return line;
  const [, indent, name, gap, optional, space, rest] = field as unknown as string[];
  if (indexed.has(name!) || /@id\b|@unique\b|@db\./.test(rest!)) return line;
  const comment = rest!.indexOf("//");
  const attributes = (comment >= 0 ? rest!.slice(0, comment) : rest!).trimEnd();
  const trailing = comment >= 0 ? ` ${rest!.slice(comment)}` : "";
  const withText = [attributes, "@db.Text"].filter(Boolean).join(" ");
  return `${indent}${name}${gap}String${optional}${space || " "}${withText}${trailing}`.trimEnd();
}

/** Per model: the fields named in @@unique, @@index, @@id and @relation(fields: [...]). */
function indexedFields(lines: string[]): Map<string, Set<string>> {
  const result = new Map<string, Set<string>>();
  let model: string | undefined;
  for (const line of lines) {
    const opening = line.match(/^model\s+(\w+)\s*\{/);
    if (opening) {
      model = opening[1]!;
      result.set(model, new Set());
      continue;
    }
    if (/^\}/.test(line)) model = undefined;
    if (!model) continue;
    const lists = [...line.matchAll(/(?:@@(?:unique|index|id)\(\s*|fields:\s*)\[([^\]]*)\]/g)];
    for (const list of lists) {
      for (const entry of list[1]!.split(",")) {
        const name = entry.trim().match(/^(\w+)/)?.[1];
        if (name) result.get(model)!.add(name);
      }
    }
  }
  return result;
}
