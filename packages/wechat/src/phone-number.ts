/**
 * getUserPhoneNumber (POST /wxa/business/getuserphonenumber?access_token=): exchanges the code of
 * the getPhoneNumber button for the user's phone number. WeChat bills each success; the code works
 * once and for 5 minutes.
 */
import { z } from "zod";
import { WechatError } from "./errors.ts";
import { acceptWechatAnswer, parseSuccessBody } from "./refusal.ts";
import { requestWechatJson } from "./transport.ts";

const API_NAME = "getUserPhoneNumber";

export interface PhoneNumberInfo {
  /** With the country prefix for numbers outside mainland China. */
  phoneNumber: string;
  /** Without country code. */
  purePhoneNumber: string;
  /** e.g. "86"; WeChat's examples show it as a number or a string, it is always a string here. */
  countryCode: string;
  watermark: { timestamp: number; appid: string };
}

export interface UserPhoneNumberRequest {
  baseUrl: string;
  timeoutMs: number;
  /** Secret: travels in the query string, as WeChat requires, and never reaches a message. */
  accessToken: string;
  /** From the getPhoneNumber button (`detail.code`). */
  code: string;
  openid?: string | undefined;
}

const successBodySchema = z.object({
  errcode: z.literal(0).optional(),
  phone_info: z.object({
    phoneNumber: z.string().min(1),
    purePhoneNumber: z.string().min(1),
    countryCode: z.union([z.string().min(1), z.number().int().nonnegative()]),
    watermark: z.object({ timestamp: z.number().int(), appid: z.string().min(1) }),
  }),
});

export async function requestUserPhoneNumber(request: UserPhoneNumberRequest): Promise<PhoneNumberInfo> {
  if (!request.code) {
    // Checked here: WeChat's answer to an empty code is undocumented, and the call needs a token.
    throw new WechatError({
      kind: "missing_code",
      message: `WeChat ${API_NAME} needs the code of the getPhoneNumber button, got an empty one`,
    });
  }
  const query = new URLSearchParams({ access_token: request.accessToken });
  const body = await requestWechatJson({
    apiName: API_NAME,
    url: `${request.baseUrl}/wxa/business/getuserphonenumber?${query.toString()}`,
    timeoutMs: request.timeoutMs,
    method: "POST",
    jsonBody: { code: request.code, ...(request.openid ? { openid: request.openid } : {}) },
  });
  const answer = acceptWechatAnswer(body, API_NAME, [request.accessToken, request.code]);
  const { phone_info: info } = parseSuccessBody(API_NAME, successBodySchema, answer);
  return {
    phoneNumber: info.phoneNumber,
    purePhoneNumber: info.purePhoneNumber,
    countryCode: String(info.countryCode),
    watermark: { timestamp: info.watermark.timestamp, appid: info.watermark.appid },
  };
}
