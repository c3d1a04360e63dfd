import net from "node:net";
import { ERROR_TAXONOMY, HTTP_STATUS_BY_CODE, type ErrorReason } from "@mp-auth/contract";
import { expect } from "vitest";

/** One HTTP/1.1 response read off a raw socket. */
export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface RawExchange {
  /** Every complete response, in order. */
  responses: RawResponse[];
  /** Everything the server sent, as text. */
  raw: string;
  /** "server": the server closed the connection; "client": we stopped waiting and closed it. */
  closedBy: "server" | "client";
  /** Milliseconds from connecting to the end of the exchange. */
  ms: number;
}

export interface RawOptions {
  /** Resolve once this many complete responses arrived (default: wait for the server to close). */
  responses?: number;
  /** Give up (and close from our side) after this long; generous by default. */
  deadlineMs?: number;
}

/**
 * Parses as many complete responses as `bytes` holds (Content-Length or chunked bodies; a body
 * closed by the connection counts once the socket has closed).
 */
export function parseResponses(bytes: Buffer, closed: boolean): RawResponse[] {
  const responses: RawResponse[] = [];
  let at = 0;
  while (at < bytes.length) {
    const headEnd = bytes.indexOf("\r\n\r\n", at);
    if (headEnd < 0) break;
    const [statusLine = "", ...headerLines] = bytes.subarray(at, headEnd).toString("latin1").split("\r\n");
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1]);
    const headers: Record<string, string> = {};
    for (const line of headerLines) {
      const colon = line.indexOf(":");
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    let bodyStart = headEnd + 4;
    let body: Buffer;
    if (headers["transfer-encoding"]?.toLowerCase() === "chunked") {
      const parts: Buffer[] = [];
      let complete = false;
      for (;;) {
        const sizeEnd = bytes.indexOf("\r\n", bodyStart);
        if (sizeEnd < 0) break;
        const size = parseInt(bytes.subarray(bodyStart, sizeEnd).toString("latin1"), 16);
        if (Number.isNaN(size) || bytes.length < sizeEnd + 2 + size + 2) break;
        parts.push(bytes.subarray(sizeEnd + 2, sizeEnd + 2 + size));
        bodyStart = sizeEnd + 2 + size + 2;
        if (size === 0) {
          complete = true;
          break;
        }
      }
      if (!complete) break;
      body = Buffer.concat(parts);
    } else if (headers["content-length"] !== undefined) {
      const length = Number(headers["content-length"]);
      if (bytes.length < bodyStart + length) break;
      body = bytes.subarray(bodyStart, bodyStart + length);
      bodyStart += length;
    } else if (status === 204 || status === 304 || (status >= 100 && status < 200)) {
      body = Buffer.alloc(0);
    } else {
      if (!closed) break;
      body = bytes.subarray(bodyStart);
      bodyStart = bytes.length;
    }
    responses.push({ status, headers, body: body.toString("utf8") });
    at = bodyStart;
  }
  return responses;
}

/**
 * Opens a TCP connection to `url`'s host and port, lets `talk` write to it (in pieces, slowly, or
 * half-closing it), and collects what the server answers.
 */
export function rawExchange(
  url: string,
  talk: (socket: net.Socket) => void | Promise<void>,
  options: RawOptions = {},
): Promise<RawExchange> {
  const { hostname, port } = new URL(url);
  const deadlineMs = options.deadlineMs ?? 20_000;
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const chunks: Buffer[] = [];
    const socket = net.connect({ host: hostname, port: Number(port) });
    let done = false;
    const finish = (closedBy: RawExchange["closedBy"]) => {
      if (done) return;
      done = true;
      clearTimeout(deadline);
      const bytes = Buffer.concat(chunks);
      socket.destroy();
      resolve({
        responses: parseResponses(bytes, closedBy === "server"),
        raw: bytes.toString("utf8"),
        closedBy,
        ms: performance.now() - started,
      });
    };
    const deadline = setTimeout(() => finish("client"), deadlineMs);
    socket.on("data", (chunk) => {
      chunks.push(chunk);
      if (options.responses !== undefined) {
        const parsed = parseResponses(Buffer.concat(chunks), false);
        if (parsed.length >= options.responses) finish("client");
      }
    });
    // A reset by the server (it may cut a connection it refused) ends the exchange like a close.
    socket.on("error", () => finish("server"));
    socket.on("close", () => finish("server"));
    socket.on("connect", () => {
      Promise.resolve(talk(socket)).catch((error: unknown) => {
        // Writing to a socket the server already cut is expected here.
        if (!done && !socket.destroyed) reject(error);
      });
    });
  });
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Writes `text` a byte at a time, `intervalMs` apart, until the server closes the socket or `maxBytes`. */
export async function trickle(socket: net.Socket, text: string, intervalMs: number): Promise<void> {
  for (const byte of text) {
    if (socket.destroyed || !socket.writable) return;
    socket.write(byte);
    await sleep(intervalMs);
  }
}

/** A request as raw HTTP/1.1 text. */
export function rawRequestText(
  method: string,
  target: string,
  headers: Record<string, string | number> = {},
  body = "",
): string {
  const lines = [`${method} ${target} HTTP/1.1`, "Host: 127.0.0.1"];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  return `${lines.join("\r\n")}\r\n\r\n${body}`;
}

/**
 * What every answer of the server must be: a known status, never 5xx unless `allow5xx` names it,
 * and every error in the one envelope with a reason from the contract's table, no stack.
 */
export function expectCleanAnswer(response: RawResponse, options: { allowStatus?: number[] } = {}): void {
  const allowed = new Set(options.allowStatus ?? []);
  expect(Number.isInteger(response.status), `status line of ${JSON.stringify(response)}`).toBe(true);
  if (!allowed.has(response.status)) expect(response.status, response.body).toBeLessThan(500);
  expect(response.body).not.toMatch(/\n\s+at /);
  if (response.status < 400) return;
  expect(response.headers["content-type"], response.body).toMatch(/^application\/json/);
  const parsed = JSON.parse(response.body) as unknown;
  // A batch answers an array: each element a result or the envelope.
  if (Array.isArray(parsed)) {
    for (const item of parsed as { error?: unknown }[]) {
      if (item.error !== undefined)
        expectEnvelope(item, (item.error as { data: { httpStatus: number } }).data.httpStatus);
    }
    return;
  }
  expectEnvelope(parsed, response.status);
}

/** `body` is `{ error: { message, code, data } }` with the row the contract gives its reason. */
export function expectEnvelope(body: unknown, status: number): ErrorReason {
  const error = (body as { error?: { message?: unknown; code?: unknown; data?: Record<string, unknown> } }).error;
  expect(error, JSON.stringify(body)).toBeDefined();
  expect(typeof error!.message).toBe("string");
  expect(typeof error!.code).toBe("number");
  const data = error!.data!;
  const reason = data.reason as ErrorReason;
  expect(Object.keys(ERROR_TAXONOMY), JSON.stringify(body)).toContain(reason);
  const row = ERROR_TAXONOMY[reason];
  expect(data).toMatchObject({
    code: row.code,
    httpStatus: HTTP_STATUS_BY_CODE[row.code],
    action: row.action,
    retryable: row.action === "retry",
  });
  expect(status).toBe(HTTP_STATUS_BY_CODE[row.code]);
  expect(data.stack).toBeUndefined();
  return reason;
}
