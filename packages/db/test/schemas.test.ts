// One source of truth: prisma/schema.prisma. The PostgreSQL and MySQL schemas are written from it;
// the migrations of each provider must build the same tables.
import { readFileSync } from "node:fs";
import mariadb from "mariadb";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { migrateDatabase } from "../src/index.ts";
import { providerPaths, providerSchema } from "../src/provider-schemas.ts";
import { mariadbPoolConfig } from "../src/server-database.ts";
import { availableTestEngines, createTestDatabase, type TestDatabase } from "../src/testing.ts";

const source = readFileSync(providerPaths("sqlite").schema, "utf8");
/** Every model's table, read from the schema: a new model is compared without editing this file. */
const modelTables = [...source.matchAll(/^model (\w+) \{/gm)].map((match) => `'${match[1]}'`).join(", ");

describe("generated schemas", () => {
  it.each(["postgresql", "mysql"] as const)(
    "prisma/%s/schema.prisma is what scripts/generate.ts writes from prisma/schema.prisma",
    (provider) => {
      const committed = readFileSync(providerPaths(provider).schema, "utf8");
      // Fails after an edit of prisma/schema.prisma without `pnpm --filter @mp-auth/db generate`.
      expect(committed).toBe(providerSchema(source, provider));
    },
  );

  it("keeps indexed MySQL strings VARCHAR(191) and makes the others TEXT", () => {
    const mysql = providerSchema(source, "mysql");
    const line = (name: string) => mysql.split("\n").find((l) => new RegExp(`^\\s+${name}\\s`).test(l)) ?? "";
    for (const indexed of ["id", "appid", "openid", "unionid", "phoneNumber", "tokenHash", "userId"]) {
      expect(line(indexed)).not.toContain("@db.Text");
    }
    for (const free of ["nickname", "avatarUrl", "sessionKeyCiphertext", "userAgent", "clientIp", "revokedReason"]) {
      expect(line(free)).toContain("@db.Text");
    }
    expect(mysql).toContain('provider = "mysql"');
  });
});

// The MySQL migrations are written by hand (Prisma 6.19's offline schema engine has no MySQL
// connector); PostgreSQL's are Prisma's own output from the same model. Both, applied, must give the
// same tables, columns, nullability, indexes and foreign keys.
const engines = await availableTestEngines(["postgresql", "mysql"]);
const both = engines.length === 2;
describe.runIf(both)("the MySQL migrations against the PostgreSQL ones", () => {
  const databases: TestDatabase[] = [];
  afterAll(async () => {
    for (const database of databases) await database.drop();
  });

  it("build the same tables, columns, indexes and foreign keys", async () => {
    const postgres = await createTestDatabase("postgresql");
    const mysql = await createTestDatabase("mysql");
    databases.push(postgres, mysql);
    await migrateDatabase(postgres.url);
    await migrateDatabase(mysql.url);
    const fromPostgres = await describePostgres(postgres.url);
    const fromMysql = await describeMysql(mysql.url);
    expect(fromMysql).toEqual(fromPostgres);
    expect(fromMysql.columns.length).toBeGreaterThan(20);
  });

  it("give MySQL binary collations and the types Prisma maps to", async () => {
    const mysql = await createTestDatabase("mysql");
    databases.push(mysql);
    await migrateDatabase(mysql.url);
    const connection = await mariadb.createConnection(mariadbPoolConfig(mysql.url));
    try {
      const columns = await connection.query<{ name: string; type: string; collation: string | null }[]>(
        `SELECT CONCAT(table_name, '.', column_name) AS name, column_type AS type, collation_name AS collation
         FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name IN (${modelTables})`,
      );
      for (const column of columns) {
        if (column.collation !== null) expect(column, column.name).toMatchObject({ collation: "utf8mb4_bin" });
        if (/At$/.test(column.name)) expect(column.type, column.name).toBe("datetime(3)");
      }
      const byName = Object.fromEntries(columns.map((c) => [c.name, c.type]));
      expect(byName["User.openid"]).toBe("varchar(191)");
      expect(byName["Session.tokenHash"]).toBe("varchar(191)");
      expect(byName["User.avatarUrl"]).toBe("text");
      expect(byName["AvatarFile.name"]).toBe("varchar(191)");
      expect(byName["AvatarFile.bytes"]).toBe("longblob");
      expect(byName["Note.userId"]).toBe("varchar(191)");
      expect(byName["Note.body"]).toBe("text");
    } finally {
      await connection.end();
    }
  });
});

interface Structure {
  columns: string[];
  indexes: string[];
  foreignKeys: string[];
}

async function describePostgres(url: string): Promise<Structure> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const columns = await client.query<{ c: string }>(
      `SELECT table_name || '.' || column_name || ' ' || is_nullable || ' ' ||
              CASE WHEN column_default IS NULL THEN 'no-default' ELSE 'default' END AS c
       FROM information_schema.columns WHERE table_schema = 'public' AND table_name IN (${modelTables})`,
    );
    const indexes = await client.query<{ c: string }>(
      `SELECT t.relname || ' ' || i.relname || ' ' || CASE WHEN ix.indisprimary THEN 'primary' WHEN ix.indisunique THEN 'unique' ELSE 'index' END || ' ' ||
              string_agg(a.attname, ',' ORDER BY k.ordinality) AS c
       FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid JOIN pg_class t ON t.oid = ix.indrelid
       JOIN pg_namespace n ON n.oid = t.relnamespace
       CROSS JOIN LATERAL unnest(ix.indkey) WITH ORDINALITY AS k(attnum, ordinality)
       JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
       WHERE n.nspname = 'public' AND t.relname IN (${modelTables})
       GROUP BY t.relname, i.relname, ix.indisprimary, ix.indisunique`,
    );
    const foreignKeys = await client.query<{ c: string }>(
      `SELECT tc.table_name || ' ' || tc.constraint_name || ' ' || kcu.column_name || ' -> ' || ccu.table_name || '.' || ccu.column_name ||
              ' on delete ' || rc.delete_rule || ' on update ' || rc.update_rule AS c
       FROM information_schema.table_constraints tc
       JOIN information_schema.key_column_usage kcu ON kcu.constraint_name = tc.constraint_name
       JOIN information_schema.constraint_column_usage ccu ON ccu.constraint_name = tc.constraint_name
       JOIN information_schema.referential_constraints rc ON rc.constraint_name = tc.constraint_name
       WHERE tc.constraint_type = 'FOREIGN KEY' AND tc.table_schema = 'public'`,
    );
    return normalize(columns.rows, indexes.rows, foreignKeys.rows);
  } finally {
    await client.end();
  }
}

async function describeMysql(url: string): Promise<Structure> {
  const connection = await mariadb.createConnection(mariadbPoolConfig(url));
  try {
    const columns = await connection.query<{ c: string }[]>(
      `SELECT CONCAT(table_name, '.', column_name, ' ', is_nullable, ' ',
              IF(column_default IS NULL OR column_default = 'NULL', 'no-default', 'default')) AS c
       FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name IN (${modelTables})`,
    );
    const indexes = await connection.query<{ c: string }[]>(
      `SELECT CONCAT(table_name, ' ', IF(index_name = 'PRIMARY', CONCAT(table_name, '_pkey'), index_name), ' ',
              IF(index_name = 'PRIMARY', 'primary', IF(non_unique = 0, 'unique', 'index')), ' ',
              GROUP_CONCAT(column_name ORDER BY seq_in_index SEPARATOR ',')) AS c
       FROM information_schema.statistics WHERE table_schema = DATABASE() AND table_name IN (${modelTables})
       GROUP BY table_name, index_name, non_unique`,
    );
    const foreignKeys = await connection.query<{ c: string }[]>(
      `SELECT CONCAT(k.table_name, ' ', k.constraint_name, ' ', k.column_name, ' -> ', k.referenced_table_name, '.',
              k.referenced_column_name, ' on delete ', r.delete_rule, ' on update ', r.update_rule) AS c
       FROM information_schema.key_column_usage k
       JOIN information_schema.referential_constraints r
         ON r.constraint_schema = k.constraint_schema AND r.constraint_name = k.constraint_name
       WHERE k.table_schema = DATABASE() AND k.referenced_table_name IS NOT NULL`,
    );
    return normalize(columns, indexes, foreignKeys);
  } finally {
    await connection.end();
  }
}

function normalize(columns: { c: string }[], indexes: { c: string }[], foreignKeys: { c: string }[]): Structure {
  const sorted = (rows: { c: string }[]) => rows.map((row) => String(row.c)).sort();
  return { columns: sorted(columns), indexes: sorted(indexes), foreignKeys: sorted(foreignKeys) };
}
