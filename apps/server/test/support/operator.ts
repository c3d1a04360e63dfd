import { randomBytes } from "node:crypto";
import { createApiDependencies, type WiredApi } from "@mp-auth/api";
import { testRedisUrl } from "@mp-auth/db/testing";
import { MOCK_DEFAULT_APPID } from "@mp-auth/wechat/mock";

/**
 * What the operator CLI holds: the API's own wiring (createApiDependencies) on the servers'
 * database and, when they use one, their Redis, in this process beside the running servers. It
 * calls no WeChat API, so the WeChat settings only have to be well-formed.
 */
export async function startOperator(settings: {
  databaseUrl: string;
  avatarDir: string;
  redisKeyPrefix?: string | undefined;
}): Promise<WiredApi> {
  const operator = await createApiDependencies({
    databaseUrl: settings.databaseUrl,
    ...(settings.redisKeyPrefix ? { redis: { url: testRedisUrl(), keyPrefix: settings.redisKeyPrefix } } : {}),
    wechat: { appid: MOCK_DEFAULT_APPID, secret: "operator-calls-no-wechat-api", baseUrl: "http://127.0.0.1:9" },
    atRestKey: randomBytes(32),
    sessionTtlSeconds: 3600,
    loginRateLimits: { perIpPerMinute: 1, perOpenidPerMinute: 1 },
    allowHttpAvatarUrls: true,
    avatarDir: settings.avatarDir,
    logger: { info() {}, warn() {}, error() {} },
  });
  // Invalidations must reach the shared cache: wait until Redis is up, as the servers do.
  const deadline = Date.now() + 10_000;
  while (operator.redis && operator.redis.status() !== "up") {
    if (Date.now() > deadline) throw new Error(`Redis at ${testRedisUrl()} did not come up for the operator`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return operator;
}
