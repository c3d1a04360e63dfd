import path from "node:path";
import { fileURLToPath } from "node:url";
import type { DestinationStream } from "pino";
import type { RunningServer } from "./index.ts";
import { createPrettyDestination } from "./logger.ts";

/**
 * What `pnpm dev` adds for a person at a terminal: readable log lines instead of JSON, and, once
 * the server listens, one short banner saying what runs where and what to open next. Production
 * (`pnpm serve`, NODE_ENV=production) and tests (NODE_ENV=test) keep JSON lines and no banner.
 */

type Env = Record<string, string | undefined>;

/** Where `pnpm dev` (Taro's weapp watch build) writes the mini-program. */
const WEAPP_DIST_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../miniapp/dist/weapp");
/** Taro's H5 dev server (apps/miniapp/config/index.ts), started by `pnpm dev:h5`. */
const H5_DEV_URL = "http://127.0.0.1:10086";

export function isDevelopment(env: Env): boolean {
  const nodeEnv = env.NODE_ENV?.trim();
  // The server's own default: NODE_ENV unset means development (see env.ts).
  return !nodeEnv || nodeEnv === "development";
}

/** Readable lines in development; undefined (pino's JSON to stdout) otherwise. */
export async function devLogDestination(env: Env): Promise<DestinationStream | undefined> {
  return isDevelopment(env) ? createPrettyDestination() : undefined;
}

export function devBanner(server: Pick<RunningServer, "trpcUrl" | "mockWechatUrl">): string {
  const rows: Array<[string, string]> = [
    ["API", `${server.trpcUrl}   (curl examples: README, "Try the API")`],
    server.mockWechatUrl
      ? ["Mock WeChat", `${server.mockWechatUrl}   (WX_APPID unset: logins are fake)`]
      : ["WeChat", "the real WeChat API (WX_APPID or WX_APPS is set)"],
    ["Mini-program", `${WEAPP_DIST_DIR}   (open it in WeChat DevTools; \`pnpm dev\` rebuilds it)`],
    ["In a browser", `\`pnpm dev:h5\` from the repository root, then open ${H5_DEV_URL}`],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  return [
    "",
    "  mp-auth dev server is ready",
    "",
    ...rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`),
    "",
    "",
  ].join("\n");
}

/** Prints the banner in development only. */
export function printDevBanner(
  server: Pick<RunningServer, "trpcUrl" | "mockWechatUrl">,
  env: Env,
  write: (text: string) => void = (text) => void process.stdout.write(text),
): void {
  if (isDevelopment(env)) write(devBanner(server));
}
