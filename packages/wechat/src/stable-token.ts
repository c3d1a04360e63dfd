/**
 * getStableAccessToken (POST /cgi-bin/stable_token): the app-wide access_token every server API
 * needs. Use it through the access token manager (access-token.ts), which caches and shares it.
 *
 * Why stable_token and not the legacy GET /cgi-bin/token: every legacy call issues a new token and
 * kills the previous one 5 minutes later, so two server instances refreshing independently keep
 * invalidating each other's tokens. stable_token in normal mode hands every caller the SAME token
 * until its last 5 minutes, so instances converge instead of fighting.
 */
import { z } from "zod";
import { acceptWechatAnswer, parseSuccessBody } from "./refusal.ts";
import { requestWechatJson } from "./transport.ts";

const API_NAME = "getStableAccessToken";

export interface StableAccessTokenRequest {
  baseUrl: string;
  appid: string;
  secret: string;
  timeoutMs: number;
  /**
   * Invalidates the current token at once, for every instance. Limited by WeChat to 20 a day and
   * 30 s apart: only for a leaked token. The access token manager never sets it.
   */
  forceRefresh?: boolean;
}

export interface StableAccessToken {
  /** Secret: never log it. */
  accessToken: string;
  /** Remaining lifetime as WeChat counts it (7200 at most). */
  expiresInSeconds: number;
}

const successBodySchema = z.object({
  errcode: z.literal(0).optional(),
  access_token: z.string().min(1),
  expires_in: z.number().int().positive(),
});

export async function requestStableAccessToken(request: StableAccessTokenRequest): Promise<StableAccessToken> {
  const body = await requestWechatJson({
    apiName: API_NAME,
    url: `${request.baseUrl}/cgi-bin/stable_token`,
    timeoutMs: request.timeoutMs,
    method: "POST",
    jsonBody: {
      grant_type: "client_credential",
      appid: request.appid,
      secret: request.secret,
      ...(request.forceRefresh === true ? { force_refresh: true } : {}),
    },
  });
  const answer = acceptWechatAnswer(body, API_NAME, [request.secret]);
  const { access_token: accessToken, expires_in: expiresInSeconds } = parseSuccessBody(
    API_NAME,
    successBodySchema,
    answer,
  );
  return { accessToken, expiresInSeconds };
}
