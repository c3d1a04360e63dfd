import { RateLimiterMemory, RateLimiterRedis } from "rate-limiter-flexible";
import type { LoginRateLimiters, LoginRateLimitSettings } from "../../services/login-guards.ts";
import type { RedisConnection } from "./connection.ts";

/**
 * auth.login limits counted in Redis, so they hold across every server instance.
 *
 * While Redis is down each instance counts in its own memory (rate-limiter-flexible's
 * `insuranceLimiter`, same points and window), and `rejectIfRedisNotReady` sends calls there at
 * once instead of waiting for a command to fail. Chosen over refusing logins: an outage of the
 * cache must not lock every user out. The cost, stated: during an outage the effective limit is the
 * configured one times the number of instances.
 */
export function createRedisLoginRateLimiters(
  connection: RedisConnection,
  settings: LoginRateLimitSettings,
): LoginRateLimiters {
  const limiter = (keyPrefix: string, points: number) =>
    new RateLimiterRedis({
      storeClient: connection.client,
      keyPrefix,
      points,
      duration: 60,
      rejectIfRedisNotReady: true,
      insuranceLimiter: new RateLimiterMemory({ keyPrefix, points, duration: 60 }),
    });
  return {
    perIp: limiter("login-ip", settings.perIpPerMinute),
    perOpenid: limiter("login-openid", settings.perOpenidPerMinute),
  };
}
