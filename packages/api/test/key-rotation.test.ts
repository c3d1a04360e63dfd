// Rotating SESSION_KEY_ENCRYPTION_KEY: the secret box alone, then instances of the API on one SQLite
// file and the real mock WeChat, before, during and after a rotation.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { encryptForUser, mintLoginCode, startMockWechat, type MockWechat } from "@mp-auth/wechat/mock";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiDependencies, createCaller, createContextInner, type WiredApi } from "../src/index.ts";
import { createSecretBox, UnreadableSecretError } from "../src/services/secret-box.ts";
import { attempt } from "./api-harness.ts";

const oldKey = randomBytes(32);
const newKey = randomBytes(32);

describe("the secret box with a previous key", () => {
  it("encrypts under the current key only, and decrypts under the current or a previous one", () => {
    const old = createSecretBox(oldKey);
    const rotated = createSecretBox(newKey, [oldKey]);
    const newOnly = createSecretBox(newKey);
    const underOld = old.encrypt("session-key-1");
    expect(rotated.decrypt(underOld)).toBe("session-key-1");
    const underNew = rotated.encrypt("session-key-2");
    expect(newOnly.decrypt(underNew)).toBe("session-key-2");
    // The previous key never encrypts: what the rotated box writes, the old key cannot open.
    expect(() => old.decrypt(underNew)).toThrow(UnreadableSecretError);
  });

  it("refuses a value no key opens, a damaged one and a foreign format with UnreadableSecretError", () => {
    const rotated = createSecretBox(newKey, [oldKey]);
    const foreign = createSecretBox(randomBytes(32)).encrypt("x");
    expect(() => rotated.decrypt(foreign)).toThrow(/none of the configured keys/);
    const valid = rotated.encrypt("secret");
    const [version, iv, tag, ciphertext] = valid.split(".");
    const flipped = Buffer.from(ciphertext!, "base64url");
    flipped[0]! ^= 1;
    expect(() => rotated.decrypt([version, iv, tag, flipped.toString("base64url")].join("."))).toThrow(
      UnreadableSecretError,
    );
    for (const bad of ["", "v2.a.b.c", "v1.a.b", "v1.a.b.c.d", "plain session key"]) {
      expect(() => rotated.decrypt(bad), bad).toThrow(UnreadableSecretError);
    }
  });

  it("wants every key to be 32 bytes", () => {
    expect(() => createSecretBox(newKey, [Buffer.alloc(16)])).toThrow(/32 bytes/);
  });
});

describe("instances before, during and after a rotation", () => {
  let dir: string;
  let mock: MockWechat;
  const instances: WiredApi[] = [];
  const silentLogger = { info() {}, warn() {}, error() {} };
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "mp-auth-rotation-"));
    mock = await startMockWechat({});
  });
  afterAll(async () => {
    for (const instance of instances) await instance.close();
    await mock?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function instance(atRestKey: Buffer, previousAtRestKeys: Buffer[] = []) {
    const deps = await createApiDependencies({
      databaseUrl: `file:${path.join(dir, "api.db")}`,
      wechat: { appid: mock.appid, secret: mock.secret, baseUrl: mock.url, timeoutMs: 1500 },
      atRestKey,
      previousAtRestKeys,
      sessionTtlSeconds: 3600,
      loginRateLimits: { perIpPerMinute: 10_000, perOpenidPerMinute: 10_000 },
      allowHttpAvatarUrls: false,
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
  const login = async (deps: WiredApi, openid?: string) => {
    const minted = await mintLoginCode(mock.url, openid ? { openid } : {});
    return { ...(await caller(deps).auth.login({ code: minted.code })), openid: minted.openid };
  };
  const phoneData = { phoneNumber: "13700137000", purePhoneNumber: "13700137000", countryCode: "86" };
  const bindLegacyPhone = async (deps: WiredApi, token: string, openid: string) => {
    const { encryptedData, iv } = await encryptForUser(mock.url, { openid, data: phoneData });
    return attempt(caller(deps, token).user.bindPhone({ encryptedData, iv }));
  };
  const storedCiphertext = async (deps: WiredApi, openid: string) =>
    (await deps.db.user.findFirstOrThrow({ where: { openid } })).sessionKeyCiphertext!;

  it("a rotated instance reads session_keys stored under the previous key, and the next login re-encrypts", async () => {
    const before = await instance(oldKey);
    const rotated = await instance(newKey, [oldKey]);
    const user = await login(before);
    expect((await bindLegacyPhone(rotated, user.token, user.openid)).status).toBe(200);

    // The next login stores the session_key under the new key: the previous one is no longer needed.
    await login(rotated, user.openid);
    const ciphertext = await storedCiphertext(rotated, user.openid);
    expect(() => createSecretBox(newKey).decrypt(ciphertext)).not.toThrow();
    expect(() => createSecretBox(oldKey).decrypt(ciphertext)).toThrow(UnreadableSecretError);
  });

  it("without the previous key, a stored session_key is SESSION_KEY_STALE (relogin), never a 500; a login fixes it", async () => {
    const before = await instance(oldKey);
    const newOnly = await instance(newKey);
    const user = await login(before);
    const refused = await bindLegacyPhone(newOnly, user.token, user.openid);
    expect(refused.status).toBe(401);
    expect(refused.error!.data).toMatchObject({ reason: "SESSION_KEY_STALE", action: "relogin" });

    const again = await login(newOnly, user.openid);
    expect((await bindLegacyPhone(newOnly, again.token, user.openid)).status).toBe(200);
  });
});
