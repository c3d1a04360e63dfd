import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  availableTestEngines,
  createTestDatabase,
  deleteRedisKeysWithPrefix,
  requireRedisForTests,
  testRedisUrl,
  uniqueRedisKeyPrefix,
  type TestEngine,
} from "@mp-auth/db/testing";
import { mintLoginCode, mockAppsFor, startMockWechat, type MockWechat } from "@mp-auth/wechat/mock";
import { TRPCError } from "@trpc/server";
import type { RequestInfo } from "../src/context.ts";
import {
  createApiDependencies,
  createCaller,
  createContextInner,
  formatError,
  type FormattedError,
  type WiredApi,
} from "../src/index.ts";

export interface ApiHarness {
  deps: WiredApi;
  db: WiredApi["db"];
  mock: MockWechat;
  /** A caller with the given bearer token (or none), from 127.0.0.1 unless `request` says otherwise. */
  caller(token?: string, request?: RequestInfo): ReturnType<typeof createCaller>;
  close(): Promise<void>;
}

const silentLogger = { info() {}, warn() {}, error() {} };

/**
 * The engines the database-dependent api suites run on (`describe.each(await apiTestEngines())`):
 * SQLite, and PostgreSQL and MariaDB when their services answer (a missing one fails in CI; see
 * `@mp-auth/db/testing`). Suites with nothing database-specific (error-format) run once.
 */
export function apiTestEngines(): Promise<TestEngine[]> {
  return availableTestEngines();
}

let redisChecked: Promise<boolean> | undefined;
/** Redis for the PostgreSQL / MariaDB runs (a deployment's shape); missing: fails in CI, said once elsewhere. */
function redisForServerEngines(): Promise<boolean> {
  return (redisChecked ??= requireRedisForTests("the api suites' Redis (PostgreSQL / MariaDB runs)"));
}

/**
 * The API without HTTP, wired exactly as the server wires it (createApiDependencies): a real
 * database of its own (a SQLite file, or with `engine` a fresh PostgreSQL / MariaDB database with
 * Redis under a key prefix of its own), the real mock WeChat over HTTP, avatars on disk; calls
 * through createCaller. `close()` removes all of it.
 */
export async function startApiHarness(
  settings: {
    engine?: TestEngine;
    loginRateLimitPerIp?: number;
    loginRateLimitPerOpenid?: number;
    uploadRateLimitPerHour?: number;
    /** Several mini-programs (the mock serves them all); default the mock's one app. */
    appids?: string[];
  } = {},
): Promise<ApiHarness> {
  const engine = settings.engine ?? "sqlite";
  const dir = mkdtempSync(path.join(tmpdir(), "mp-auth-api-"));
  const database = engine === "sqlite" ? undefined : await createTestDatabase(engine);
  const redisKeyPrefix =
    engine !== "sqlite" && (await redisForServerEngines()) ? uniqueRedisKeyPrefix(`api-${engine}`) : undefined;
  const mock = await startMockWechat(settings.appids ? { apps: mockAppsFor(settings.appids) } : {});
  const deps = await createApiDependencies({
    databaseUrl: database?.url ?? `file:${path.join(dir, "api.db")}`,
    ...(redisKeyPrefix ? { redis: { url: testRedisUrl(), keyPrefix: redisKeyPrefix } } : {}),
    wechat: { apps: mock.apps, baseUrl: mock.url, timeoutMs: 1500 },
    atRestKey: randomBytes(32),
    sessionTtlSeconds: 3600,
    loginRateLimits: {
      perIpPerMinute: settings.loginRateLimitPerIp ?? 10_000,
      perOpenidPerMinute: settings.loginRateLimitPerOpenid ?? 10_000,
    },
    uploadRateLimitPerHour: settings.uploadRateLimitPerHour ?? 10_000,
    allowHttpAvatarUrls: false,
    avatarDir: path.join(dir, "avatars"),
    publicUrl: "https://api.example.com",
    logger: silentLogger,
  });
  // Connected before the first call: until then the stores fall back to this process's memory (their
  // outage path, tested in test/redis), and a limit would count partly there, partly in Redis.
  const redisDeadline = Date.now() + 10_000;
  while (deps.redis && deps.redis.status() !== "up") {
    if (Date.now() > redisDeadline) throw new Error(`Redis at ${testRedisUrl()} did not come up for the harness`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return {
    deps,
    db: deps.db,
    mock,
    caller: (token, request = {}) =>
      createCaller(
        createContextInner(deps, {
          clientIp: "127.0.0.1",
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...request,
        }),
      ),
    close: async () => {
      await deps.close();
      await mock.close();
      await database?.drop();
      if (redisKeyPrefix) await deleteRedisKeysWithPrefix(redisKeyPrefix);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Attempt<T> {
  /** 200, or the HTTP status the error would travel with. */
  status: number;
  data?: T;
  /** The error exactly as the wire carries it (the tRPC error formatter's output). */
  error?: FormattedError;
}

/** Runs a call and reports it the way an HTTP client would see it, without HTTP. */
export async function attempt<T>(call: Promise<T>): Promise<Attempt<T>> {
  try {
    return { status: 200, data: await call };
  } catch (error) {
    if (!(error instanceof TRPCError)) throw error;
    const formatted = formatError(error);
    return { status: formatted.data.httpStatus, error: formatted };
  }
}

/** Mints a wx.login code at the mock WeChat and logs in with it. */
export async function loginAs(api: ApiHarness, openid?: string) {
  const minted = await mintLoginCode(api.mock.url, openid ? { openid } : {});
  const result = await api.caller().auth.login({ code: minted.code });
  return { ...result, openid: minted.openid };
}
