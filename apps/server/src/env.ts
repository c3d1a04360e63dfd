import {
  avatarStorages,
  DEFAULT_LOGIN_HISTORY_RETENTION_DAYS,
  DEFAULT_UPLOAD_RATE_LIMIT_PER_HOUR,
  type WechatAppCredentials,
} from "@mp-auth/api";
import { APPID_PATTERN } from "@mp-auth/contract";
import {
  defaultBusyTimeoutMs,
  defaultFileCheckIntervalMs,
  defaultSqliteSynchronous,
  sqliteSynchronousModes,
} from "@mp-auth/db";
import { z } from "zod";
import { trustProxySchema } from "./client-address.ts";
import { DEFAULT_MAX_BATCH_SIZE } from "./http-server.ts";
import { httpBoundsEnvShape } from "./http-bounds.ts";
import { wholeNumberSetting } from "./env-number.ts";
import { loadSheddingEnvShape } from "./load-shedding.ts";
import { shutdownEnvShape } from "./shutdown.ts";

const booleanFlag = z
  .enum(["true", "false", "1", "0"], { error: "must be 1/true or 0/false" })
  .transform((value) => value === "true" || value === "1");

const APPID_RULE = "must look like a mini-program appid (wx + 16 chars)";
const SECRET_MIN_LENGTH = 16;
const SECRET_RULE = "looks too short for an AppSecret";

/**
 * WX_APPS: several mini-programs on one server, `appid:secret` pairs separated by commas
 * (`wxaaaaaaaaaaaaaaaa:secret1,wxbbbbbbbbbbbbbbbb:secret2`). AppSecrets are 32 hex characters, so
 * neither separator can occur in one. Problems name the entry by position and appid, never the secret.
 */
const wechatAppsSetting = z.string().transform((value, ctx): WechatAppCredentials[] => {
  const apps: WechatAppCredentials[] = [];
  const entries = value.split(",").map((entry) => entry.trim());
  entries.forEach((entry, index) => {
    const separator = entry.indexOf(":");
    const appid = separator < 0 ? "" : entry.slice(0, separator).trim();
    const secret = separator < 0 ? "" : entry.slice(separator + 1).trim();
    const where = `entry ${index + 1} of ${entries.length}`;
    if (!appid || !secret) {
      ctx.addIssue({ code: "custom", message: `${where} must be appid:secret (pairs separated by commas)` });
    } else if (!APPID_PATTERN.test(appid)) {
      ctx.addIssue({ code: "custom", message: `${where}: the appid ${APPID_RULE}` });
    } else if (secret.length < SECRET_MIN_LENGTH) {
      ctx.addIssue({ code: "custom", message: `${where} (${appid}): the secret ${SECRET_RULE}` });
    } else if (apps.some((app) => app.appid === appid)) {
      ctx.addIssue({ code: "custom", message: `${where}: ${appid} is listed twice` });
    } else {
      apps.push({ appid, secret });
    }
  });
  return apps;
});

/** WX_MOCK_APPIDS: the appids the mock WeChat serves (comma-separated), each with a secret of its own. */
const mockAppidsSetting = z.string().transform((value, ctx): string[] => {
  const appids = value
    .split(",")
    .map((appid) => appid.trim())
    .filter(Boolean);
  if (appids.length === 0) ctx.addIssue({ code: "custom", message: "must list at least one appid" });
  const bad = appids.filter((appid) => !APPID_PATTERN.test(appid));
  if (bad.length > 0) ctx.addIssue({ code: "custom", message: `${bad.join(", ")}: ${APPID_RULE}` });
  if (new Set(appids).size !== appids.length) ctx.addIssue({ code: "custom", message: "lists an appid twice" });
  return appids;
});

const port = (fallback: number) =>
  z.coerce
    .number({ error: "must be a port number" })
    .int("must be a whole number")
    .min(0, "must be 0..65535")
    .max(65535, "must be 0..65535")
    .default(fallback);

/**
 * Every setting the server reads, validated once at start. Empty strings count as unset so
 * `WX_APPID=` in a .env file means "use the mock", not "appid is empty".
 */
export const serverEnvSchema = z
  .object({
    NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
    HOST: z.string().default("0.0.0.0"),
    PORT: port(3000),
    DATABASE_URL: z
      .string()
      .regex(
        /^(file:|postgres(ql)?:\/\/|mysql:\/\/|mariadb:\/\/)/i,
        "must start with file: (SQLite), postgresql:// or mysql:// / mariadb://",
      )
      .optional(),
    LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    WX_APPID: z.string().regex(APPID_PATTERN, APPID_RULE).optional(),
    WX_SECRET: z.string().min(SECRET_MIN_LENGTH, SECRET_RULE).optional(),
    // Several mini-programs on one server (README "Several mini-programs"); instead of WX_APPID/WX_SECRET.
    WX_APPS: wechatAppsSetting.optional(),
    WX_MOCK_APPIDS: mockAppidsSetting.optional(),
    WX_API_BASE: z
      .url({ error: "must be a URL such as https://api.weixin.qq.com" })
      .default("https://api.weixin.qq.com"),
    WX_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
    /**
     * Run against the mock WeChat. Development and tests use it whenever WX_APPID is unset;
     * production only when this says so (a demo or staging), never because WX_APPID is missing.
     */
    WX_MOCK: booleanFlag.optional(),
    WX_MOCK_PORT: port(3001),
    SESSION_TTL_SECONDS: z.coerce
      .number({ error: "must be a number of seconds" })
      .int()
      .min(60, "must be at least 60 seconds")
      .max(365 * 24 * 3600, "must be at most a year")
      .default(7 * 24 * 3600),
    SESSION_RETENTION_DAYS: z.coerce.number().int().min(0, "must be 0 or more days").default(30),
    // Login attempts (auth.history, the admin CLI) are deleted this many days after they happened.
    LOGIN_HISTORY_RETENTION_DAYS: wholeNumberSetting(1, 3650, DEFAULT_LOGIN_HISTORY_RETENTION_DAYS),
    SESSION_KEY_ENCRYPTION_KEY: z
      .string()
      .refine(
        (value) => Buffer.from(value, "base64").length === 32,
        "must be base64 of 32 random bytes (openssl rand -base64 32)",
      )
      .optional(),
    // The key rotated out: still decrypts what it encrypted, never encrypts (README "Production").
    SESSION_KEY_ENCRYPTION_KEY_PREVIOUS: z
      .string()
      .refine(
        (value) => Buffer.from(value, "base64").length === 32,
        "must be base64 of 32 random bytes (the SESSION_KEY_ENCRYPTION_KEY being rotated out)",
      )
      .optional(),
    LOGIN_RATE_LIMIT_PER_IP: z.coerce.number().int().min(1, "must be at least 1").default(120),
    LOGIN_RATE_LIMIT_PER_OPENID: z.coerce.number().int().min(1, "must be at least 1").default(20),
    UPLOAD_RATE_LIMIT_PER_USER: z.coerce
      .number({ error: "must be a number of uploads per hour" })
      .int("must be a whole number")
      .min(1, "must be at least 1")
      .default(DEFAULT_UPLOAD_RATE_LIMIT_PER_HOUR),
    AVATAR_UNREFERENCED_RETENTION_HOURS: z.coerce
      .number({ error: "must be a number of hours" })
      .int("must be a whole number")
      .min(1, "must be at least 1 hour (a user needs time between upload and profile update)")
      .default(24),
    MAX_BATCH_SIZE: z.coerce
      .number({ error: "must be a number of calls" })
      .int("must be a whole number")
      .min(1, "must be 1..100")
      .max(100, "must be 1..100")
      .default(DEFAULT_MAX_BATCH_SIZE),
    REDIS_URL: z
      .url({ error: "must be a Redis URL such as redis://127.0.0.1:6379 (rediss:// for TLS)" })
      .refine((value) => /^rediss?:\/\//.test(value), "must start with redis:// or rediss://")
      .optional(),
    REDIS_KEY_PREFIX: z
      .string()
      .regex(/^[A-Za-z0-9:_.-]{1,64}$/, "must be 1-64 letters, digits or : _ . -")
      .default("mp-auth:"),
    CORS_ORIGINS: z.string().optional(),
    PUBLIC_URL: z.url({ error: "must be the server's public origin, e.g. https://api.example.com" }).optional(),
    UPLOAD_DIR: z.string().optional(),
    // local: files under UPLOAD_DIR, one instance. database: rows every instance sharing DATABASE_URL serves.
    AVATAR_STORAGE: z.enum(avatarStorages, { error: `must be ${avatarStorages.join(" or ")}` }).default("local"),
    TRUST_PROXY: trustProxySchema,
    DATABASE_BUSY_TIMEOUT_MS: wholeNumberSetting(0, 60_000, defaultBusyTimeoutMs, "ms"),
    DATABASE_FILE_CHECK_INTERVAL_MS: wholeNumberSetting(100, 60_000, defaultFileCheckIntervalMs, "ms"),
    SQLITE_SYNCHRONOUS: z
      .enum(sqliteSynchronousModes, { error: `must be ${sqliteSynchronousModes.join(" or ")}` })
      .default(defaultSqliteSynchronous),
    ...loadSheddingEnvShape,
    ...httpBoundsEnvShape,
    ...shutdownEnvShape,
  })
  .superRefine((env, ctx) => {
    if (Boolean(env.WX_APPID) !== Boolean(env.WX_SECRET)) {
      ctx.addIssue({
        code: "custom",
        path: ["WX_SECRET"],
        message: "set WX_APPID and WX_SECRET together, or neither to use the mock WeChat",
      });
    }
    if (env.WX_APPS && (env.WX_APPID || env.WX_SECRET)) {
      ctx.addIssue({
        code: "custom",
        path: ["WX_APPS"],
        message:
          "is set together with WX_APPID / WX_SECRET: list every app in WX_APPS (appid:secret,...), or use WX_APPID and WX_SECRET for one",
      });
    }
    if (env.WX_MOCK_APPIDS && !usesMockWechat(env)) {
      ctx.addIssue({
        code: "custom",
        path: ["WX_MOCK_APPIDS"],
        message: "only applies to the mock WeChat (WX_APPID / WX_APPS unset, or WX_MOCK=1): unset it",
      });
    }
    if (env.WX_MOCK === true && env.WX_APPS) {
      ctx.addIssue({
        code: "custom",
        path: ["WX_MOCK"],
        message:
          "is set together with WX_APPS: choose the real WeChat apps (unset WX_MOCK) or the mock (unset WX_APPS; WX_MOCK_APPIDS names its apps)",
      });
    }
    if (env.WX_MOCK === true && env.WX_APPID) {
      ctx.addIssue({
        code: "custom",
        path: ["WX_MOCK"],
        message:
          "is set together with WX_APPID: choose the real WeChat app (unset WX_MOCK) or the mock (unset WX_APPID and WX_SECRET)",
      });
    }
    if (!usesRealWechat(env) && !usesMockWechat(env)) {
      ctx.addIssue({
        code: "custom",
        path: ["WX_APPID"],
        message:
          env.NODE_ENV === "production"
            ? "WX_APPID and WX_SECRET are required in production (your mini-program's AppID and AppSecret; WX_APPS for several); set WX_MOCK=1 instead to run a demo or staging server against the mock WeChat"
            : "WX_APPID and WX_SECRET are required when WX_MOCK=0 turns the mock WeChat off",
      });
    }
    if (env.NODE_ENV === "production" && !env.SESSION_KEY_ENCRYPTION_KEY) {
      ctx.addIssue({
        code: "custom",
        path: ["SESSION_KEY_ENCRYPTION_KEY"],
        message:
          "is required in production: secrets at rest must not be encrypted with a generated dev key (openssl rand -base64 32)",
      });
    }
    if (uploadOriginFromRequest(env) === "refuse") {
      ctx.addIssue({
        code: "custom",
        path: ["PUBLIC_URL"],
        message:
          "is required in production with a real WeChat app: avatar URLs would otherwise be built from the request's Host header, which any client sets (e.g. PUBLIC_URL=https://api.example.com)",
      });
    }
    if (usesRealWechat(env) && !env.SESSION_KEY_ENCRYPTION_KEY) {
      ctx.addIssue({
        code: "custom",
        path: ["SESSION_KEY_ENCRYPTION_KEY"],
        message: "is required with a real WeChat app: session_keys must not be encrypted with a generated dev key",
      });
    }
    if (env.SESSION_KEY_ENCRYPTION_KEY_PREVIOUS && !env.SESSION_KEY_ENCRYPTION_KEY) {
      ctx.addIssue({
        code: "custom",
        path: ["SESSION_KEY_ENCRYPTION_KEY_PREVIOUS"],
        message: "needs SESSION_KEY_ENCRYPTION_KEY, the new key it is rotated out for",
      });
    }
  });

export type ServerEnv = z.infer<typeof serverEnvSchema>;

/**
 * Whether a real WeChat app is configured, rather than the mock. The one place that decides, so
 * the rules that follow it (PUBLIC_URL below, the encryption key) follow a future explicit switch.
 */
export function usesRealWechat(env: Pick<ServerEnv, "WX_APPID" | "WX_APPS">): boolean {
  return Boolean(env.WX_APPID || env.WX_APPS);
}

/** The real WeChat apps configured: WX_APPID + WX_SECRET (one), or WX_APPS (several); empty with the mock. */
export function realWechatApps(env: Pick<ServerEnv, "WX_APPID" | "WX_SECRET" | "WX_APPS">): WechatAppCredentials[] {
  if (env.WX_APPS) return env.WX_APPS;
  return env.WX_APPID && env.WX_SECRET ? [{ appid: env.WX_APPID, secret: env.WX_SECRET }] : [];
}

/**
 * Whether the server runs against the mock WeChat, and with it the permissive defaults that exist
 * for local work (CORS for any origin, http avatar URLs): an explicit WX_MOCK=1, or development and
 * tests without WX_APPID. In production nothing is permissive unless WX_MOCK=1 says so.
 */
export function usesMockWechat(env: Pick<ServerEnv, "WX_APPID" | "WX_APPS" | "WX_MOCK" | "NODE_ENV">): boolean {
  if (env.WX_MOCK !== undefined) return env.WX_MOCK && !usesRealWechat(env);
  return !usesRealWechat(env) && env.NODE_ENV !== "production";
}

/**
 * Whether avatar URLs may take their origin from the request (its Host header) when PUBLIC_URL is
 * unset: "not-needed" when it is set; "allow" in development; "warn" in a production demo on the
 * mock WeChat (served, with one warning at start); "refuse" in production with a real app, where a
 * forged Host would put an attacker's origin into URLs that other users' phones then load.
 */
export function uploadOriginFromRequest(
  env: Pick<ServerEnv, "NODE_ENV" | "PUBLIC_URL" | "WX_APPID" | "WX_APPS">,
): "not-needed" | "allow" | "warn" | "refuse" {
  if (env.PUBLIC_URL) return "not-needed";
  if (env.NODE_ENV !== "production") return "allow";
  return usesRealWechat(env) ? "refuse" : "warn";
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Parses the environment; on failure throws one message listing every bad variable (values never echoed). */
export function parseServerEnv(raw: Record<string, string | undefined>): ServerEnv {
  const cleaned = Object.fromEntries(Object.entries(raw).filter(([, value]) => value !== undefined && value !== ""));
  const result = serverEnvSchema.safeParse(cleaned);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => `  - ${issue.path.join(".") || "(env)"}: ${issue.message}`);
  throw new ConfigError(`Invalid server configuration:\n${lines.join("\n")}`);
}
