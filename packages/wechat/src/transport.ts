/**
 * One HTTP exchange with WeChat, reduced to "parsed JSON value or WechatError".
 *
 * Every WeChat server API shares these failure modes, so each endpoint (code2Session, stable_token,
 * getuserphonenumber, ...) uses this module and only adds its own errcode and shape handling
 * (refusal.ts). URLs carry the secret, codes or the access_token: none ever reaches an error.
 */
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
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
  let answer: HttpAnswer;
  try {
    answer = await send(request);
  } catch (error) {
    throw transportError(apiName, timeoutMs, error);
  }
  const { status, text } = answer;
  const contentType = answer.contentType ?? "no content-type";
  if (status < 200 || status > 299) {
    throw new WechatError({
      kind: "bad_response",
      httpStatus: status,
      // The body is left out: a gateway page is noise, and we cannot rule out that it echoes the request.
      message: `WeChat ${apiName} answered HTTP ${status} (${contentType}, ${text.length} chars) instead of 2xx`,
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

interface HttpAnswer {
  status: number;
  contentType: string | undefined;
  text: string;
}

/**
 * One request through node:http / node:https (keep-alive agents: Node's default), the body read as
 * UTF-8 text. Not fetch: undici's fetch builds a Request, Headers, streams and an AbortSignal per
 * call, about 1 ms more CPU than this on every login (measured, issue 12). node:http never follows
 * a redirect: WeChat never redirects, and following one would resend the secret-bearing URL
 * elsewhere, so a 3xx is surfaced as a non-2xx answer. The timeout bounds the whole exchange, body
 * included: a server that sends headers and then stalls is a timeout.
 */
function send(request: WechatRequest): Promise<HttpAnswer> {
  return new Promise<HttpAnswer>((resolve, reject) => {
    const url = new URL(request.url);
    const body = request.jsonBody === undefined ? undefined : JSON.stringify(request.jsonBody);
    const headers: Record<string, string> = { accept: "application/json, text/plain" };
    if (body !== undefined) headers["content-type"] = "application/json";
    const outgoing = (url.protocol === "https:" ? httpsRequest : httpRequest)(
      url,
      { method: request.method ?? "GET", headers },
      (incoming) => {
        incoming.setEncoding("utf8");
        let text = "";
        incoming.on("data", (chunk: string) => (text += chunk));
        incoming.on("end", () => {
          clearTimeout(timer);
          resolve({ status: incoming.statusCode ?? 0, contentType: incoming.headers["content-type"], text });
        });
        incoming.on("error", fail);
      },
    );
    const timer = setTimeout(() => {
      const timeout = new Error("timeout");
      timeout.name = "TimeoutError";
      fail(timeout);
      outgoing.destroy();
    }, request.timeoutMs);
    function fail(error: unknown) {
      clearTimeout(timer);
      reject(error);
    }
    outgoing.on("error", fail);
    outgoing.end(body);
  });
}

/**
 * Turns a request/body failure into a WechatError. The original error is NOT kept as the cause:
 * it can quote the request URL (secret and code included). Only the error name and
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

/** The system error code, on the error itself or one or two causes deep. */
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
