/**
 * checkSessionKey (GET /wxa/checksession) and resetUserSessionKey (GET /wxa/resetusersessionkey).
 * Neither sends the session_key itself: WeChat gets an HMAC-SHA256 signature made with it.
 */
import { z } from "zod";
import { sessionKeySignature } from "./crypto.ts";
import { WechatError } from "./errors.ts";
import type { WechatApiName } from "./errors.ts";
import { acceptWechatAnswer, parseSuccessBody } from "./refusal.ts";
import { requestWechatJson } from "./transport.ts";

export interface SessionKeyRequest {
  baseUrl: string;
  timeoutMs: number;
  /** Secret: travels in the query string, as WeChat requires, and never reaches a message. */
  accessToken: string;
  openid: string;
  /** The session_key we hold for the user (base64). Secret. */
  sessionKey: string;
}

export interface ResetSessionKeyResult {
  openid: string;
  /** The user's new session_key; the one we sent is dead from now on. Secret. */
  sessionKey: string;
}

const INVALID_SIGNATURE_ERRCODE = 87009;

const checkSuccessSchema = z.object({ errcode: z.literal(0).optional() });
const resetSuccessSchema = z.object({
  errcode: z.literal(0).optional(),
  openid: z.string().min(1),
  session_key: z.string().min(1),
});

/** True while `sessionKey` is the user's current session_key; false on 87009 (invalid signature). */
export async function requestCheckSessionKey(request: SessionKeyRequest): Promise<boolean> {
  const api = "checkSessionKey";
  const { body, secretValues } = await sendSigned(api, "/wxa/checksession", request);
  try {
    parseSuccessBody(api, checkSuccessSchema, acceptWechatAnswer(body, api, secretValues));
    return true;
  } catch (error) {
    if (error instanceof WechatError && error.errcode === INVALID_SIGNATURE_ERRCODE) return false;
    throw error;
  }
}

/** Replaces the user's session_key; 87009 (the key we hold is not current) is a session_key_invalid error. */
export async function requestResetUserSessionKey(request: SessionKeyRequest): Promise<ResetSessionKeyResult> {
  const api = "resetUserSessionKey";
  const { body, secretValues } = await sendSigned(api, "/wxa/resetusersessionkey", request);
  const answer = acceptWechatAnswer(body, api, secretValues);
  const { openid, session_key: sessionKey } = parseSuccessBody(api, resetSuccessSchema, answer);
  return { openid, sessionKey };
}

async function sendSigned(api: WechatApiName, path: string, request: SessionKeyRequest) {
  if (!request.openid)
    throw new WechatError({ kind: "invalid_request", message: `WeChat ${api} needs an openid, got an empty one` });
  if (!request.sessionKey)
    throw new WechatError({
      kind: "invalid_request",
      message: `WeChat ${api} needs the user's session_key, got an empty one`,
    });
  const signature = sessionKeySignature(request.sessionKey);
  const query = new URLSearchParams({
    access_token: request.accessToken,
    openid: request.openid,
    signature,
    sig_method: "hmac_sha256",
  });
  const body = await requestWechatJson({
    apiName: api,
    url: `${request.baseUrl}${path}?${query.toString()}`,
    timeoutMs: request.timeoutMs,
  });
  return { body, secretValues: [request.accessToken, request.sessionKey, signature] };
}
