import { createApiDependencies, type WiredApi } from "@mp-auth/api";
import { MOCK_DEFAULT_APPID, mockAppsFor } from "@mp-auth/wechat/mock";
import pino from "pino";
import { parseServerEnv, realWechatApps, type ServerEnv } from "../env.ts";
import { createLogger } from "../logger.ts";
import { apiConfigFromEnv } from "../wiring.ts";

/** How long the CLI waits for REDIS_URL to answer before refusing to act without it. */
const REDIS_WAIT_MS = 5_000;

/** A failure the operator fixes (an unknown user, Redis down): one line on stderr, exit code 1. */
export class AdminError extends Error {
  override name = "AdminError";
}

/**
 * The API's dependencies as the server builds them, from the same environment: the same settings
 * check (parseServerEnv), the same translation (apiConfigFromEnv) and the same wiring
 * (createApiDependencies), so the CLI opens the server's database, Redis and keys and nothing else.
 * No mock WeChat is started and no timer runs; WeChat is never called. Log lines go to stderr, errors
 * only unless LOG_LEVEL says otherwise (the server's start-up warnings are the server's), so stdout
 * holds only the command's answer.
 */
export async function openAdminApi(rawEnv: Record<string, string | undefined>): Promise<WiredApi> {
  const env: ServerEnv = parseServerEnv(rawEnv);
  const logger = createLogger(rawEnv.LOG_LEVEL ? env.LOG_LEVEL : "error", pino.destination({ dest: 2, sync: true }));
  // The CLI never calls WeChat: without a real app, the mock's apps (where it would answer).
  const realApps = realWechatApps(env);
  const wechat =
    realApps.length > 0
      ? { apps: realApps, baseUrl: env.WX_API_BASE }
      : {
          apps: mockAppsFor(env.WX_MOCK_APPIDS ?? [MOCK_DEFAULT_APPID]),
          baseUrl: `http://127.0.0.1:${env.WX_MOCK_PORT}`,
        };
  const api = await createApiDependencies(apiConfigFromEnv(env, wechat, logger));
  if (api.redis) {
    // A revocation must reach the session cache every instance reads: until Redis answers, the
    // stores would fall back to this process's memory and the instances would not hear of it.
    const deadline = Date.now() + REDIS_WAIT_MS;
    while (api.redis.status() !== "up") {
      if (Date.now() > deadline) {
        await api.close();
        throw new AdminError(`Redis (REDIS_URL) did not answer within ${REDIS_WAIT_MS / 1000} s.`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
  return api;
}
