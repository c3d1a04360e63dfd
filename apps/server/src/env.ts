import { defaultBusyTimeoutMs, defaultFileCheckIntervalMs } from "@mp-auth/db";
import { z } from "zod";
import { trustProxySchema } from "./client-address.ts";
import { loadSheddingEnvShape } from "./load-shedding.ts";
import { shutdownEnvShape } from "./shutdown.ts";

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
    WX_APPID: z
      .string()
      .regex(/^wx[0-9a-zA-Z]{10,30}$/, "must look like a mini-program appid (wx + 16 chars)")
      .optional(),
    WX_SECRET: z.string().min(16, "looks too short for an AppSecret").optional(),
    WX_API_BASE: z
      .url({ error: "must be a URL such as https://api.weixin.qq.com" })
      .default("https://api.weixin.qq.com"),
    WX_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
    WX_MOCK_PORT: port(3001),
    SESSION_TTL_SECONDS: z.coerce
      .number({ error: "must be a number of seconds" })
      .int()
      .min(60, "must be at least 60 seconds")
      .max(365 * 24 * 3600, "must be at most a year")
      .default(7 * 24 * 3600),
    SESSION_RETENTION_DAYS: z.coerce.number().int().min(0, "must be 0 or more days").default(30),
    SESSION_KEY_ENCRYPTION_KEY: z
      .string()
      .refine(
        (value) => Buffer.from(value, "base64").length === 32,
        "must be base64 of 32 random bytes (openssl rand -base64 32)",
      )
      .optional(),
    LOGIN_RATE_LIMIT_PER_IP: z.coerce.number().int().min(1, "must be at least 1").default(120),
    LOGIN_RATE_LIMIT_PER_OPENID: z.coerce.number().int().min(1, "must be at least 1").default(20),
    CORS_ORIGINS: z.string().optional(),
    PUBLIC_URL: z.url({ error: "must be the server's public origin, e.g. https://api.example.com" }).optional(),
    UPLOAD_DIR: z.string().optional(),
    TRUST_PROXY: trustProxySchema,
    DATABASE_BUSY_TIMEOUT_MS: z.coerce
      .number({ error: "must be a number of milliseconds" })
      .int()
      .min(0, "must be 0..60000 ms")
      .max(60_000, "must be 0..60000 ms")
      .default(defaultBusyTimeoutMs),
    DATABASE_FILE_CHECK_INTERVAL_MS: z.coerce
      .number({ error: "must be a number of milliseconds" })
      .int()
      .min(100, "must be 100..60000 ms")
      .max(60_000, "must be 100..60000 ms")
      .default(defaultFileCheckIntervalMs),
    ...loadSheddingEnvShape,
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
    if (env.WX_APPID && !env.SESSION_KEY_ENCRYPTION_KEY) {
      ctx.addIssue({
        code: "custom",
        path: ["SESSION_KEY_ENCRYPTION_KEY"],
        message: "is required with a real WeChat app: session_keys must not be encrypted with a generated dev key",
      });
    }
  });

export type ServerEnv = z.infer<typeof serverEnvSchema>;

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
