import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import type { ErrorEnvelope } from "@mp-auth/contract";
import {
  availableTestEngines,
  createTestDatabase,
  deleteRedisKeysWithPrefix,
  requireRedisForTests,
  testRedisUrl,
  uniqueRedisKeyPrefix,
  type TestDatabase,
  type TestEngine,
} from "@mp-auth/db/testing";
import { mintLoginCode } from "@mp-auth/wechat/mock";
import { afterAll } from "vitest";
import { startServer, type RunningServer } from "../src/index.ts";

/** One temp folder per test file (modules are isolated per file), removed after the file's tests. */
const testFileRoot = mkdtempSync(path.join(tmpdir(), "mp-auth-server-test-"));
/** PostgreSQL / MariaDB databases and Redis key prefixes this test file made: dropped at its end. */
const serverDatabases: TestDatabase[] = [];
const redisKeyPrefixes: string[] = [];
// Registered first, so it runs last: after every suite of the file closed its servers.
afterAll(async () => {
  rmSync(testFileRoot, { recursive: true, force: true });
  await Promise.all(serverDatabases.map((database) => database.drop()));
  await Promise.all(redisKeyPrefixes.map((prefix) => deleteRedisKeysWithPrefix(prefix)));
});

/**
 * The engines the database-dependent suites run on (`describe.each(await serverTestEngines())`):
 * SQLite, and PostgreSQL and MariaDB when their services answer (a missing one fails in CI; see
 * `@mp-auth/db/testing`). The purely HTTP-shape suites (hostile, fuzz, protocol, limits) and the
 * SQLite-file suites (busy lock, deleted file, -shm) stay on SQLite: the database does not change
 * what they test, and each engine adds about a minute to `pnpm test`.
 */
export function serverTestEngines(): Promise<TestEngine[]> {
  return availableTestEngines();
}

/**
 * Whether the PostgreSQL / MariaDB runs also use Redis, the shape of a deployment of several
 * instances. Missing Redis fails in CI; on a user's machine those runs go on without it, said once.
 */
let redisChecked: Promise<boolean> | undefined;
function redisForServerEngines(): Promise<boolean> {
  return (redisChecked ??= requireRedisForTests("the server suites' Redis (PostgreSQL / MariaDB runs)"));
}

function tempDir(prefix: string): string {
  return mkdtempSync(path.join(testFileRoot, prefix));
}

/** A fresh SQLite file URL in its own temp folder. */
export function tempDatabaseUrl(): string {
  return `file:${path.join(tempDir("mp-auth-server-"), "test.db")}`;
}

export const TEST_ENCRYPTION_KEY = randomBytes(32).toString("base64");

/** Collects every log line the server writes, to check nothing secret is logged. */
export class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _encoding: string, callback: () => void) {
    this.lines.push(...chunk.toString("utf8").split("\n").filter(Boolean));
    callback();
  }
  get text(): string {
    return this.lines.join("\n");
  }
}

export interface TestServer extends RunningServer {
  mockWechatUrl: string;
  databaseUrl: string;
  uploadDir: string;
  logs: LogCapture;
  /** Whether this server uses Redis (the PostgreSQL / MariaDB runs, when Redis answers). */
  usesRedis: boolean;
}

/**
 * The real server on a random loopback port, with its own mock WeChat and its own database: a SQLite
 * file, or with `engine` a fresh PostgreSQL / MariaDB database plus Redis under a key prefix of its
 * own (unless `env` names DATABASE_URL / REDIS_URL), all removed at the end of the test file.
 */
export async function startTestServer(
  env: Record<string, string> = {},
  options: { trpcPath?: "fast" | "stock"; engine?: TestEngine } = {},
): Promise<TestServer> {
  const { engine = "sqlite", ...serverOptions } = options;
  const logs = new LogCapture();
  let databaseUrl = env.DATABASE_URL;
  const serverEngineEnv: Record<string, string> = {};
  if (!databaseUrl && engine !== "sqlite") {
    const database = await createTestDatabase(engine);
    serverDatabases.push(database);
    databaseUrl = database.url;
    if (!env.REDIS_URL && (await redisForServerEngines())) {
      const keyPrefix = uniqueRedisKeyPrefix(`server-${engine}`);
      redisKeyPrefixes.push(keyPrefix);
      Object.assign(serverEngineEnv, { REDIS_URL: testRedisUrl(), REDIS_KEY_PREFIX: keyPrefix });
    }
  }
  databaseUrl ??= tempDatabaseUrl();
  const uploadDir = env.UPLOAD_DIR ?? tempDir("mp-auth-uploads-");
  const server = await startServer({
    env: {
      HOST: "127.0.0.1",
      PORT: "0",
      WX_MOCK_PORT: "0",
      LOG_LEVEL: "debug",
      SESSION_KEY_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
      // Suites log in far more often than a person: limits have their own test.
      LOGIN_RATE_LIMIT_PER_IP: "10000",
      LOGIN_RATE_LIMIT_PER_OPENID: "10000",
      ...serverEngineEnv,
      ...env,
      UPLOAD_DIR: uploadDir,
      DATABASE_URL: databaseUrl,
    },
    logDestination: logs,
    ...serverOptions,
  });
  if (!server.mockWechatUrl) throw new Error("expected the server to start its mock WeChat");
  if (serverEngineEnv.REDIS_URL) {
    // Serving with Redis up, as a deployment does: until it connects, the stores use this process's
    // memory (their outage path), and a limit would count partly there, partly in Redis.
    const deadline = Date.now() + 10_000;
    while (((await (await fetch(`${server.url}/healthz`)).json()) as { redis?: string }).redis !== "up") {
      if (Date.now() > deadline) throw new Error(`Redis at ${testRedisUrl()} did not come up for the test server`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
  const usesRedis = Boolean(env.REDIS_URL ?? serverEngineEnv.REDIS_URL);
  return { ...server, mockWechatUrl: server.mockWechatUrl, databaseUrl, uploadDir, logs, usesRedis };
}

/** Every error answer of the server, tRPC or not, carries this under `error` (and never a stack). */
export type TrpcErrorBody = ErrorEnvelope["error"] & { data: { stack?: unknown } };

export interface CallResult<T = unknown> {
  status: number;
  contentType: string | null;
  raw: string;
  data?: T;
  error?: TrpcErrorBody;
}

/** Any request to the server, with its body parsed as an answer: `{ result }` or the error envelope. */
export async function request<T = unknown>(url: string, init: RequestInit = {}): Promise<CallResult<T>> {
  const response = await fetch(url, init);
  const raw = await response.text();
  const parsed = JSON.parse(raw) as { result?: { data: T }; error?: TrpcErrorBody };
  return {
    status: response.status,
    contentType: response.headers.get("content-type"),
    raw,
    ...(parsed.result ? { data: parsed.result.data } : {}),
    ...(parsed.error ? { error: parsed.error } : {}),
  };
}

/** One tRPC call over plain HTTP, the way curl would make it (no tRPC client, no batching). */
export async function call<T = unknown>(
  baseUrl: string,
  procedure: string,
  options: {
    type?: "query" | "mutation";
    input?: unknown;
    token?: string;
    authorization?: string;
    rawBody?: string;
    /** More request headers, e.g. X-WX-Appid or a Referer as WeChat sends it. */
    headers?: Record<string, string>;
  } = {},
): Promise<CallResult<T>> {
  const headers: Record<string, string> = { "content-type": "application/json", ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.authorization !== undefined) headers.authorization = options.authorization;
  let url = `${baseUrl}/trpc/${procedure}`;
  let init: RequestInit;
  if (options.type === "query") {
    if (options.input !== undefined) url += `?input=${encodeURIComponent(JSON.stringify(options.input))}`;
    init = { method: "GET", headers };
  } else {
    const body = options.rawBody ?? (options.input === undefined ? undefined : JSON.stringify(options.input));
    init = { method: "POST", headers, ...(body === undefined ? {} : { body }) };
  }
  return request<T>(url, init);
}

/** A multipart upload to user.uploadAvatar, as Taro.uploadFile sends it. */
export function uploadAvatar(
  server: TestServer,
  bytes: Uint8Array,
  options: { token?: string; field?: string; type?: string } = {},
): Promise<CallResult<{ url: string }>> {
  const form = new FormData();
  form.append(options.field ?? "file", new Blob([bytes], { type: options.type ?? "image/png" }), "avatar.png");
  const headers: Record<string, string> = {};
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  return request(`${server.url}/trpc/user.uploadAvatar`, { method: "POST", body: form, headers });
}

export interface LoginResult {
  token: string;
  expiresAt: string;
  user: { id: string; nickname: string | null; avatarUrl: string | null };
}

/** Mints a wx.login code at the server's mock WeChat and logs in with it; throws if the login fails. */
export async function loginAs(server: TestServer, openid?: string): Promise<LoginResult & { openid: string }> {
  const minted = await mintLoginCode(server.mockWechatUrl, openid ? { openid } : {});
  const result = await call<LoginResult>(server.url, "auth.login", { input: { code: minted.code } });
  if (!result.data) throw new Error(`login failed: ${result.raw}`);
  return { ...result.data, openid: minted.openid };
}
