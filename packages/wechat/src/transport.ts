/**
 * One HTTP exchange with WeChat, reduced to "parsed JSON value or WechatError".
 *
 * Every WeChat server API shares these failure modes, so each endpoint (code2Session, stable_token,
 * getuserphonenumber, ...) uses this module and only adds its own errcode and shape handling
 * (refusal.ts). URLs carry the secret, codes or the access_token: none ever reaches an error.
 */
import { WechatError } from "./errors.ts";

export interface WechatRequest {
  /** Name used in error messages, e.g. "code2Session". */
  apiName: string;
  /** Full URL. It usually carries secrets in its query: it never reaches a message or a cause. */
  url: string;
  timeoutMs: number;
  method?: "GET" | "POST";
  jsonBody?: unknown;
}

/**
 * Sends the request and returns the body parsed as JSON.
 * WeChat labels JSON bodies text/plain at times, so the body is read as text and parsed whatever
 * the Content-Type says.
 */
export async function requestWechatJson(request: WechatRequest): Promise<unknown> {
  const { apiName, timeoutMs } = request;
  const method = request.method ?? "GET";
  // The signal also bounds reading the body: a server that sends headers and then stalls is a timeout.
  const signal = AbortSignal.timeout(timeoutMs);

  let response: Response;
  try {
    response = await fetch(request.url, {
      method,
      signal,
      headers: {
        accept: "application/json, text/plain",
        ...(request.jsonBody === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(request.jsonBody === undefined ? {} : { body: JSON.stringify(request.jsonBody) }),
      // WeChat never redirects. Following one would resend the secret-bearing URL elsewhere, so a
      // redirect is surfaced as a non-2xx answer instead.
      redirect: "manual",
    });
  } catch (error) {
    throw transportError(apiName, timeoutMs, error);
  }

  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    throw transportError(apiName, timeoutMs, error);
  }

  const contentType = response.headers.get("content-type") ?? "no content-type";
  if (response.status < 200 || response.status > 299) {
    throw new WechatError({
      kind: "bad_response",
      httpStatus: response.status,
      // The body is left out: a gateway page is noise, and we cannot rule out that it echoes the request.
      message: `WeChat ${apiName} answered HTTP ${response.status} (${contentType}, ${text.length} chars) instead of 2xx`,
    });
  }

  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new WechatError({
      kind: "bad_response",
      message: `WeChat ${apiName} answered a body that is not JSON (${contentType}, ${text.length} chars)`,
    });
  }
}

/**
 * Turns a fetch/body failure into a WechatError. The original error is NOT kept as the cause:
 * undici errors can quote the request URL (secret and code included). Only the error name and
 * the system error code (ECONNREFUSED, ENOTFOUND, ...) survive, in a fresh Error.
 */
function transportError(apiName: string, timeoutMs: number, error: unknown): WechatError {
  const name = error instanceof Error ? error.name : typeof error;
  if (name === "TimeoutError" || name === "AbortError") {
    return new WechatError({
      kind: "timeout",
      message: `WeChat ${apiName} did not answer within ${timeoutMs} ms; retry later`,
      cause: safeCause(name, undefined),
    });
  }
  const systemCode = findSystemErrorCode(error);
  return new WechatError({
    kind: "network",
    message: `WeChat ${apiName} could not be reached: network error${systemCode === undefined ? "" : ` (${systemCode})`}; retry later`,
    cause: safeCause(name, systemCode),
  });
}

function safeCause(name: string, systemCode: string | undefined): Error {
  const cause = new Error(systemCode === undefined ? name : `${name}: ${systemCode}`);
  cause.name = name;
  // The stack would point at this helper, not at the failure: it adds nothing, so drop it.
  cause.stack = `${cause.name}: ${cause.message}`;
  return cause;
}

/** undici nests the system error one or two causes deep ("fetch failed" -> connect error). */
function findSystemErrorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    // Only codes shaped like identifiers: a code field holding free text could hold anything.
    if (typeof code === "string" && /^[A-Z][A-Z0-9_]{1,40}$/.test(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
