// The AvatarStore contract, run against both built-in stores (local disk, database rows) and, for
// the database store, every engine available (SQLite always; PostgreSQL and MySQL when their test
// services answer). Then what the database store is for: an upload on one instance served, set and
// swept on another that shares only the database.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { buffer } from "node:stream/consumers";
import { createDatabase, migrateDatabase, type Database } from "@mp-auth/db";
import { availableTestEngines, createTestDatabase, type TestDatabase, type TestEngine } from "@mp-auth/db/testing";
import { mintLoginCode, startMockWechat, type MockWechat } from "@mp-auth/wechat/mock";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AVATAR_PATH_PREFIX,
  createApiDependencies,
  createCaller,
  createContextInner,
  createDatabaseAvatarStore,
  createLocalAvatarStore,
  sweepUnreferencedAvatars,
  type AvatarStorage,
  type AvatarStore,
  type WiredApi,
} from "../src/index.ts";

const engines = await availableTestEngines();

const PNG = Buffer.from(
  "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201a5d1e5a10000000049454e44ae426082",
  "hex",
);
const name = (extension = "png") => `${randomBytes(16).toString("hex")}.${extension}`;

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function migratedDatabase(engine: TestEngine): Promise<{ database: TestDatabase; db: Database }> {
  const database = await createTestDatabase(engine);
  await migrateDatabase(database.url);
  const db = await createDatabase(database.url);
  cleanups.push(async () => {
    await db.$disconnect();
    await database.drop();
  });
  return { database, db };
}

interface StoreUnderTest {
  store: AvatarStore;
  /** Another handle on the same storage, as a second instance would have. */
  other: AvatarStore;
}

const stores: [string, () => Promise<StoreUnderTest>][] = [
  [
    "local disk",
    async () => {
      const dir = mkdtempSync(path.join(tmpdir(), "mp-auth-avatars-"));
      cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
      return { store: createLocalAvatarStore(dir), other: createLocalAvatarStore(dir) };
    },
  ],
  ...engines.map((engine): [string, () => Promise<StoreUnderTest>] => [
    `database on ${engine}`,
    async () => {
      const { database, db } = await migratedDatabase(engine);
      // A second connection pool, as another process would open: nothing shared but the database.
      const otherDb = await createDatabase(database.url);
      cleanups.push(async () => otherDb.$disconnect());
      return { store: createDatabaseAvatarStore(db, { listPageSize: 3 }), other: createDatabaseAvatarStore(otherDb) };
    },
  ]),
];

describe.each(stores)("the AvatarStore contract: %s", (_label, open) => {
  let store: AvatarStore;
  let other: AvatarStore;
  beforeAll(async () => {
    ({ store, other } = await open());
  });

  const listed = async (from: AvatarStore) => {
    const entries = new Map<string, Date>();
    for await (const entry of from.list()) entries.set(entry.name, entry.storedAt);
    return entries;
  };

  it("gives back exactly the bytes put, with their size, as a stream", async () => {
    const stored = name();
    const bytes = randomBytes(300_000);
    await store.put(stored, bytes);
    const file = await store.get(stored);
    expect(file!.size).toBe(bytes.length);
    expect((await buffer(file!.body)).equals(bytes)).toBe(true);
    const seenByOther = await other.get(stored);
    expect((await buffer(seenByOther!.body)).equals(bytes)).toBe(true);
  });

  it("answers undefined for a name it does not hold", async () => {
    await expect(store.get(name())).resolves.toBeUndefined();
  });

  it("refuses to overwrite a name it holds (a name collision is a bug, not a replace)", async () => {
    const stored = name("gif");
    await store.put(stored, PNG);
    await expect(store.put(stored, Buffer.from("other"))).rejects.toThrow();
    expect((await buffer((await store.get(stored))!.body)).equals(PNG)).toBe(true);
  });

  it("deletes, and deleting a name already gone is no error", async () => {
    const stored = name();
    await store.put(stored, PNG);
    await other.delete(stored);
    await expect(store.get(stored)).resolves.toBeUndefined();
    await expect(store.delete(stored)).resolves.toBeUndefined();
  });

  it("lists every stored name with when it was stored, across pages, while the sweep deletes", async () => {
    const before = Date.now() - 1000;
    const names = Array.from({ length: 8 }, () => name("webp"));
    for (const stored of names) await store.put(stored, PNG);
    const entries = await listed(store);
    for (const stored of names) {
      expect(entries.get(stored)!.getTime()).toBeGreaterThanOrEqual(before);
      expect(entries.get(stored)!.getTime()).toBeLessThanOrEqual(Date.now() + 1000);
    }
    // What the sweep does: delete each entry as it is listed. Nothing is skipped.
    const seen: string[] = [];
    for await (const entry of store.list()) {
      seen.push(entry.name);
      await store.delete(entry.name);
    }
    expect(seen).toEqual(expect.arrayContaining(names));
    expect(await listed(other)).toEqual(new Map());
  });
});

describe.each(engines)("two instances sharing one %s database", (engine) => {
  let mock: MockWechat;
  let database: TestDatabase;
  const instances: WiredApi[] = [];
  const silentLogger = { info() {}, warn() {}, error() {} };

  beforeAll(async () => {
    mock = await startMockWechat({});
    database = await createTestDatabase(engine);
    cleanups.push(async () => {
      for (const instance of instances) await instance.close();
      await mock.close();
      await database.drop();
    });
  });

  /** One server's worth of API, with its own avatar folder: only the database is shared. */
  async function instance(avatarStorage: AvatarStorage): Promise<WiredApi> {
    const dir = mkdtempSync(path.join(tmpdir(), "mp-auth-instance-"));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const deps = await createApiDependencies({
      databaseUrl: database.url,
      wechat: { appid: mock.appid, secret: mock.secret, baseUrl: mock.url, timeoutMs: 1500 },
      atRestKey: Buffer.alloc(32, 7),
      sessionTtlSeconds: 3600,
      loginRateLimits: { perIpPerMinute: 10_000, perOpenidPerMinute: 10_000 },
      uploadRateLimitPerHour: 10_000,
      allowHttpAvatarUrls: false,
      avatarStorage,
      avatarDir: path.join(dir, "avatars"),
      publicUrl: "https://api.example.com",
      logger: silentLogger,
    });
    instances.push(deps);
    return deps;
  }
  const caller = (deps: WiredApi, token?: string) =>
    createCaller(
      createContextInner(deps, { clientIp: "127.0.0.1", ...(token ? { authorization: `Bearer ${token}` } : {}) }),
    );
  const upload = (deps: WiredApi, token: string) => {
    const form = new FormData();
    form.append("file", new Blob([PNG], { type: "image/png" }), "avatar.png");
    return caller(deps, token).user.uploadAvatar(form);
  };
  const nameOf = (url: string) => url.slice(url.indexOf(AVATAR_PATH_PREFIX) + AVATAR_PATH_PREFIX.length);

  it("AVATAR_STORAGE=database: an upload on A is served, set, replaced and swept through B", async () => {
    const a = await instance("database");
    const b = await instance("database");
    const { token } = await caller(a).auth.login({ code: (await mintLoginCode(mock.url)).code });
    const { url } = await upload(a, token);
    const served = await b.avatarStore.get(nameOf(url));
    expect((await buffer(served!.body)).equals(PNG)).toBe(true);

    // B sets it on the profile; a newer upload through B replaces it, and A's copy is gone too.
    await caller(b, token).user.updateProfile({ avatarUrl: url });
    const newer = (await upload(b, token)).url;
    await caller(b, token).user.updateProfile({ avatarUrl: newer });
    await expect(a.avatarStore.get(nameOf(url))).resolves.toBeUndefined();

    // An abandoned upload on A is swept by B's sweep; the one in use stays.
    const abandoned = (await upload(a, token)).url;
    expect(await sweepUnreferencedAvatars(b, new Date(Date.now() + 60_000))).toBe(1);
    await expect(a.avatarStore.get(nameOf(abandoned))).resolves.toBeUndefined();
    const kept = await a.avatarStore.get(nameOf(newer));
    expect(kept).toBeDefined();
    kept!.body.destroy();
  });

  it("AVATAR_STORAGE=local (the default): B does not have A's upload, which is why several instances need database", async () => {
    const a = await instance("local");
    const b = await instance("local");
    const { token } = await caller(a).auth.login({ code: (await mintLoginCode(mock.url)).code });
    const { url } = await upload(a, token);
    await expect(b.avatarStore.get(nameOf(url))).resolves.toBeUndefined();
    const onA = await a.avatarStore.get(nameOf(url));
    expect(onA).toBeDefined();
    onA!.body.destroy();
  });
});
