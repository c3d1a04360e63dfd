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
/** A limiter counted in Redis, with a per-instance memory limiter while Redis is down. */
function sharedLimiter(connection: RedisConnection, keyPrefix: string, points: number, duration: number) {
  return new RateLimiterRedis({
    storeClient: connection.client,
    keyPrefix,
    points,
    duration,
    rejectIfRedisNotReady: true,
    insuranceLimiter: new RateLimiterMemory({ keyPrefix, points, duration }),
  });
}

/** user.uploadAvatar's per-user hourly limit, shared by every instance like the login limits. */
export function createRedisUploadRateLimiter(connection: RedisConnection, perHour: number): RateLimiterRedis {
  return sharedLimiter(connection, "avatar-upload", perHour, 3600);
}

export function createRedisLoginRateLimiters(
  connection: RedisConnection,
  settings: LoginRateLimitSettings,
): LoginRateLimiters {
  const limiter = (keyPrefix: string, points: number) => sharedLimiter(connection, keyPrefix, points, 60);
  return {
    perIp: limiter("login-ip", settings.perIpPerMinute),
    perOpenid: limiter("login-openid", settings.perOpenidPerMinute),
  };
}
