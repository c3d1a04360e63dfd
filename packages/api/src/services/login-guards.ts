import { RateLimiterMemory, RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import { ApiError } from "../errors.ts";

/**
 * Limits on auth.login. Per IP, checked before WeChat is called, so a flood of junk codes costs
 * WeChat nothing; per openid, checked after code2Session, so one WeChat account cannot mint
 * sessions in a loop. Any rate-limiter-flexible limiter fits (memory here, Redis for several
 * server instances).
 */
export interface LoginRateLimiters {
  perIp: RateLimiterAbstract;
  perOpenid: RateLimiterAbstract;
}

export interface LoginRateLimitSettings {
  /** auth.login calls allowed per client IP per minute. */
  perIpPerMinute: number;
  /** Sessions one WeChat user may create per minute. */
  perOpenidPerMinute: number;
}

export function createMemoryLoginRateLimiters(settings: LoginRateLimitSettings): LoginRateLimiters {
  return {
    perIp: new RateLimiterMemory({ keyPrefix: "login-ip", points: settings.perIpPerMinute, duration: 60 }),
    perOpenid: new RateLimiterMemory({ keyPrefix: "login-openid", points: settings.perOpenidPerMinute, duration: 60 }),
  };
}

/** Consumes one point, or throws TOO_MANY_REQUESTS saying when to retry. */
export async function consumeLoginPoint(limiter: RateLimiterAbstract, key: string, what: string): Promise<void> {
  try {
    await limiter.consume(key);
  } catch (rejection) {
    if (!(rejection instanceof RateLimiterRes)) throw rejection;
    const retryAfterSeconds = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
    throw new ApiError("LOGIN_RATE_LIMITED", {
      retryAfterSeconds,
      message: `Too many logins ${what}: retry in ${retryAfterSeconds} s.`,
    });
  }
}
