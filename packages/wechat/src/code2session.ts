/**
 * code2Session (GET /sns/jscode2session): exchanges a wx.login code for the user's openid,
 * session_key and, when the mini-program is bound to an Open Platform account, unionid.
 */
import { z } from "zod";
import { WechatError, describeWechatErrcode } from "./errors.ts";
import type { WechatErrorKind } from "./errors.ts";
import { requestWechatJson } from "./transport.ts";

export interface Code2SessionResult {
  openid: string;
  /** Base64 of the user's 16-byte session key. Secret: never log it, store it encrypted. */
  sessionKey: string;
  unionid?: string;
}

export interface Code2SessionRequest {
  baseUrl: string;
  appid: string;
  secret: string;
  code: string;
  timeoutMs: number;
}

const API_NAME = "code2Session";

const errorBodySchema = z.object({
  errcode: z.number().int(),
  errmsg: z.string().optional(),
});

// errcode may be present as 0 on success; openid and session_key must be real strings.
const successBodySchema = z.object({
  errcode: z.literal(0).optional(),
  openid: z.string().min(1),
  session_key: z.string().min(1),
  unionid: z.string().optional(),
});

export async function code2Session(request: Code2SessionRequest): Promise<Code2SessionResult> {
  const query = new URLSearchParams({
    appid: request.appid,
    secret: request.secret,
    js_code: request.code,
    grant_type: "authorization_code",
  });
  const body = await requestWechatJson({
    apiName: API_NAME,
    url: `${request.baseUrl}/sns/jscode2session?${query.toString()}`,
    timeoutMs: request.timeoutMs,
  });

  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new WechatError({ kind: "bad_response", message: `WeChat ${API_NAME} answered JSON that is not an object` });
  }

  if ("errcode" in body && body.errcode !== 0) {
    const refusal = errorBodySchema.safeParse(body);
    if (!refusal.success) {
      throw new WechatError({ kind: "bad_response", message: `WeChat ${API_NAME} answered an errcode that is not an integer` });
    }
    throw refusalError(refusal.data.errcode, refusal.data.errmsg, [request.secret, request.code]);
  }

  const success = successBodySchema.safeParse(body);
  if (!success.success) {
    // Only the field paths: zod messages are safe today, but the body holds a session_key.
    const fields = [...new Set(success.error.issues.map((issue) => issue.path.join(".") || "(root)"))];
    throw new WechatError({
      kind: "bad_response",
      message: `WeChat ${API_NAME} answered JSON of an unexpected shape (check fields: ${fields.join(", ")})`,
    });
  }

  const { openid, session_key: sessionKey, unionid } = success.data;
  // An empty unionid carries no identity: treat it like an absent one.
  return unionid ? { openid, sessionKey, unionid } : { openid, sessionKey };
}

/** Builds the error for an errcode answer; `secretValues` are blanked out of WeChat's errmsg. */
function refusalError(errcode: number, errmsg: string | undefined, secretValues: string[]): WechatError {
  const known = describeWechatErrcode(errcode);
  if (known === undefined) {
    // Unknown errcodes are where errmsg is most useful, so it is quoted, scrubbed and cut short.
    const detail = errmsg === undefined ? "no errmsg" : `errmsg "${scrub(errmsg, secretValues)}"`;
    return new WechatError({
      kind: "unknown",
      errcode,
      message: `WeChat ${API_NAME} failed with unexpected errcode ${errcode} (${detail})`,
    });
  }
  return new WechatError({
    kind: known.kind,
    errcode,
    message: `WeChat ${API_NAME} ${REFUSAL_PHRASES[known.kind]}: ${known.meaning} (errcode ${errcode})${REFUSAL_ADVICE[known.kind]}`,
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
};

const ERRMSG_MAX_CHARS = 200;

function scrub(text: string, secretValues: string[]): string {
  let scrubbed = text;
  for (const value of secretValues) {
    if (value.length > 0) scrubbed = scrubbed.split(value).join("[redacted]");
  }
  return scrubbed.length > ERRMSG_MAX_CHARS ? `${scrubbed.slice(0, ERRMSG_MAX_CHARS)}...` : scrubbed;
}
