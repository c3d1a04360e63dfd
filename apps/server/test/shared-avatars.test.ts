// AVATAR_STORAGE=database over HTTP: two real servers on loopback sharing one database (and
// nothing else: each has its own UPLOAD_DIR and mock WeChat). What one stores, the other serves.
import { existsSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, parseServerEnv } from "../src/env.ts";
import { loginAs, request, startTestServer, tempDatabaseUrl, uploadAvatar, type TestServer } from "./harness.ts";

/** A valid 1x1 PNG. */
const PNG = Buffer.from(
  "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201a5d1e5a10000000049454e44ae426082",
  "hex",
);

describe("AVATAR_STORAGE", () => {
  it("is local by default and refuses an unknown store by name", () => {
    expect(parseServerEnv({}).AVATAR_STORAGE).toBe("local");
    expect(parseServerEnv({ AVATAR_STORAGE: "database" }).AVATAR_STORAGE).toBe("database");
    let error: unknown;
    try {
      parseServerEnv({ AVATAR_STORAGE: "s3" });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/AVATAR_STORAGE.*local or database/);
  });
});

describe("two servers with AVATAR_STORAGE=database on one database", () => {
  let a: TestServer;
  let b: TestServer;
  beforeAll(async () => {
    const DATABASE_URL = tempDatabaseUrl();
    a = await startTestServer({ DATABASE_URL, AVATAR_STORAGE: "database" });
    b = await startTestServer({ DATABASE_URL, AVATAR_STORAGE: "database" });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  it("serves on B the avatar uploaded to A, with its type, length and cache headers", async () => {
    const { token } = await loginAs(a);
    const upload = await uploadAvatar(a, PNG, { token });
    expect(upload.status).toBe(200);
    const avatarPath = new URL(upload.data!.url).pathname;

    const fromB = await fetch(`${b.url}${avatarPath}`);
    expect(fromB.status).toBe(200);
    expect(fromB.headers.get("content-type")).toBe("image/png");
    expect(fromB.headers.get("content-length")).toBe(String(PNG.length));
    expect(fromB.headers.get("cache-control")).toContain("immutable");
    expect(Buffer.from(await fromB.arrayBuffer()).equals(PNG)).toBe(true);

    const head = await fetch(`${b.url}${avatarPath}`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe(String(PNG.length));

    // Neither server wrote a file: the database holds it.
    for (const server of [a, b]) expect(existsSync(path.join(server.uploadDir, "avatars"))).toBe(false);
    const unknown = await request(`${b.url}${avatarPath.replace(/[0-9a-f]{32}/, "0".repeat(32))}`);
    expect(unknown.status).toBe(404);
  });
});
