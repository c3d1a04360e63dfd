import { RateLimiterMemory, RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import { ApiError } from "../errors.ts";

/** Avatar uploads one user may make per hour unless configured (UPLOAD_RATE_LIMIT_PER_USER). */
export const DEFAULT_UPLOAD_RATE_LIMIT_PER_HOUR = 20;

/**
 * The per-user limit on user.uploadAvatar: each upload is up to 2 MB read, checked and written, so
 * one account must not be able to fill the disk at network speed. Any rate-limiter-flexible
 * limiter fits (memory here; a Redis one for several server instances).
 */
export function createMemoryUploadRateLimiter(perHour: number): RateLimiterAbstract {
  return new RateLimiterMemory({ keyPrefix: "avatar-upload", points: perHour, duration: 3600 });
}

/**
 * Counts one upload attempt of this user, or throws UPLOAD_RATE_LIMITED saying when to retry.
 * Attempts count, refused ones too: each costs the server a body to read.
 */
export async function consumeUploadPoint(limiter: RateLimiterAbstract, userId: string): Promise<void> {
  try {
    await limiter.consume(userId);
  } catch (rejection) {
    if (!(rejection instanceof RateLimiterRes)) throw rejection;
    const retryAfterSeconds = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
    throw new ApiError("UPLOAD_RATE_LIMITED", {
      retryAfterSeconds,
      message: `Too many avatar uploads: retry in ${retryAfterSeconds} s.`,
    });
  }
}
