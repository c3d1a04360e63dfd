/**
 * What every WeChat API answer goes through after the transport: "is it an object, is it an
 * errcode refusal, does the success body have the expected shape". Each API brings its errcode
 * table (via its WechatApiName) and the secret values that must never reach a message.
 */
import { z } from "zod";
import { WechatError, describeWechatErrcode } from "./errors.ts";
import type { WechatApiName, WechatErrorKind } from "./errors.ts";

const errorBodySchema = z.object({
  errcode: z.number().int(),
  errmsg: z.string().optional(),
});

/**
 * Returns the answer when it is a JSON object without a non-zero errcode; throws the refusal's
 * WechatError otherwise. `secretValues` are blanked out of any errmsg quoted in a message.
 */
export function acceptWechatAnswer(
  body: unknown,
  api: WechatApiName,
  secretValues: readonly string[],
): Record<string, unknown> {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new WechatError({ kind: "bad_response", message: `WeChat ${api} answered JSON that is not an object` });
  }
  if ("errcode" in body && body.errcode !== 0) {
    const refusal = errorBodySchema.safeParse(body);
    if (!refusal.success) {
      throw new WechatError({
        kind: "bad_response",
        message: `WeChat ${api} answered an errcode that is not an integer`,
      });
    }
    throw refusalError(api, refusal.data.errcode, refusal.data.errmsg, secretValues);
  }
  return body as Record<string, unknown>;
}

/**
 * Checks a success body against `schema`. Only field paths reach the message: zod messages are safe
 * today, but bodies hold session keys, tokens and phone numbers.
 */
export function parseSuccessBody<T>(api: WechatApiName, schema: z.ZodType<T>, body: Record<string, unknown>): T {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const fields = [...new Set(parsed.error.issues.map((issue) => issue.path.join(".") || "(root)"))];
  throw new WechatError({
    kind: "bad_response",
    message: `WeChat ${api} answered JSON of an unexpected shape (check fields: ${fields.join(", ")})`,
  });
}

/** Builds the error for an errcode answer; `secretValues` are blanked out of WeChat's errmsg. */
export function refusalError(
  api: WechatApiName,
  errcode: number,
  errmsg: string | undefined,
  secretValues: readonly string[],
): WechatError {
  const known = describeWechatErrcode(errcode, api);
  if (known === undefined) {
    // Unknown errcodes are where errmsg is most useful, so it is quoted, scrubbed and cut short.
    const detail = errmsg === undefined ? "no errmsg" : `errmsg "${scrub(errmsg, secretValues)}"`;
    return new WechatError({
      kind: "unknown",
      errcode,
      message: `WeChat ${api} failed with unexpected errcode ${errcode} (${detail})`,
    });
  }
  return new WechatError({
    kind: known.kind,
    errcode,
    message: `WeChat ${api} ${REFUSAL_PHRASES[known.kind]}: ${known.meaning} (errcode ${errcode})${known.advice ?? REFUSAL_ADVICE[known.kind]}`,
  });
}

const REFUSAL_PHRASES: Record<WechatErrorKind, string> = {
  invalid_code: "refused the code",
  code_used: "refused the code",
  missing_code: "refused the code",
  user_blocked: "refused the user",
  rate_limited: "is throttling us",
  busy: "is unavailable",
  config: "rejected our app credentials",
  timeout: "failed",
  network: "failed",
  bad_response: "failed",
  unknown: "failed",
  access_token_invalid: "rejected the access_token",
  session_key_invalid: "rejected the session_key signature",
  decrypt_failed: "failed",
  watermark_invalid: "failed",
  quota_exhausted: "refused: quota used up",
  invalid_request: "rejected the request",
};

const REFUSAL_ADVICE: Record<WechatErrorKind, string> = {
  invalid_code: "; the code is wrong or older than 5 minutes, call wx.login again",
  code_used: "; each code works once, call wx.login again",
  missing_code: "",
  user_blocked: "",
  rate_limited: "; retry later",
  busy: "; retry later",
  config: "; check the configured appid and secret",
  timeout: "",
  network: "",
  bad_response: "",
  unknown: "",
  access_token_invalid: "; a fresh access_token is needed",
  session_key_invalid: "",
  decrypt_failed: "",
  watermark_invalid: "",
  quota_exhausted: "; the quota resets tomorrow",
  invalid_request: "; this is a bug in the calling code",
};

const ERRMSG_MAX_CHARS = 200;

function scrub(text: string, secretValues: readonly string[]): string {
  let scrubbed = text;
  for (const value of secretValues) {
    if (value.length > 0) scrubbed = scrubbed.split(value).join("[redacted]");
  }
  return scrubbed.length > ERRMSG_MAX_CHARS ? `${scrubbed.slice(0, ERRMSG_MAX_CHARS)}...` : scrubbed;
}
