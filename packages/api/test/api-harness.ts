import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createDatabase, migrateDatabase, type Database } from "@mp-auth/db";
import { createAccessTokenManager, createWechatClient, createWechatServerApi } from "@mp-auth/wechat";
import { startMockWechat, type MockWechat } from "@mp-auth/wechat/mock";
import {
  createCaller,
  createContextInner,
  createMemoryCodeExchangeCache,
  createMemoryLoginRateLimiters,
  createSessionKeyCipher,
  type ApiDependencies,
} from "../src/index.ts";

export interface ApiHarness {
  deps: ApiDependencies;
  db: Database;
  mock: MockWechat;
  /** A caller with the given bearer token (or none). */
  caller(token?: string): ReturnType<typeof createCaller>;
  close(): Promise<void>;
}

const silentLogger = { info() {}, warn() {}, error() {} };

/** The API without HTTP: a real SQLite file, the real mock WeChat over HTTP, createCaller. */
export async function startApiHarness(): Promise<ApiHarness> {
  const dir = mkdtempSync(path.join(tmpdir(), "mp-auth-api-"));
  const url = `file:${path.join(dir, "api.db")}`;
  await migrateDatabase(url);
  const db = await createDatabase(url);
  const mock = await startMockWechat({});
  const deps: ApiDependencies = {
    db,
    wechat: createWechatClient({ appid: mock.appid, secret: mock.secret, baseUrl: mock.url }),
    wechatServer: createWechatServerApi({
      accessTokens: createAccessTokenManager({ appid: mock.appid, secret: mock.secret, baseUrl: mock.url }),
      baseUrl: mock.url,
    }),
    appid: mock.appid,
    sessionTtlSeconds: 3600,
    sessionKeyCipher: createSessionKeyCipher(randomBytes(32)),
    logger: silentLogger,
    loginRateLimiters: createMemoryLoginRateLimiters({ perIpPerMinute: 10_000, perOpenidPerMinute: 10_000 }),
    codeExchangeCache: createMemoryCodeExchangeCache(),
    allowHttpAvatarUrls: false,
  };
  return {
    deps,
    db,
    mock,
    caller: (token) => createCaller(createContextInner(deps, token ? { authorization: `Bearer ${token}` } : {})),
    close: async () => {
      await db.$disconnect();
      await mock.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
