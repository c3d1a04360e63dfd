/** Small node:http helpers shared by the mock's routes. */
import type { IncomingMessage, ServerResponse } from "node:http";
import { MockRequestError } from "./routes/types.ts";

/** Control bodies are a few fields; anything bigger is a mistake. */
const MAX_BODY_BYTES = 64 * 1024;

export async function readBodyText(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES)
      throw new MockRequestError(413, "payload_too_large", `Request body exceeds ${MAX_BODY_BYTES} bytes`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** undefined for an empty body, so "no body" and "{}" both work for optional-field routes. */
export async function readJsonBody(request: IncomingMessage): Promise<unknown> {
  const text = await readBodyText(request);
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new MockRequestError(
      400,
      "bad_json",
      `Request body is not valid JSON (${reason}); send e.g. {"openid":"..."} with Content-Type: application/json`,
    );
  }
}

export function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    ...headers,
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
  });
  response.end(text);
}

/** WeChat answers jscode2session with JSON labelled text/plain, and always HTTP 200. */
export function sendWechatAnswer(response: ServerResponse, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(200, { "content-type": "text/plain", "content-length": Buffer.byteLength(text) });
  response.end(text);
}

/** What a gateway in front of WeChat answers when its upstream fails: a 502 HTML page, not JSON. */
export function sendBadGatewayPage(response: ServerResponse): void {
  const page =
    "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>\n";
  response.writeHead(502, { "content-type": "text/html", "content-length": Buffer.byteLength(page) });
  response.end(page);
}
