import http from "node:http";
import type net from "node:net";
import type { Duplex } from "node:stream";
import { ApiError, errorEnvelope } from "@mp-auth/api";
import type { Logger } from "pino";
import { wholeNumberSetting } from "./env-number.ts";
import { lastResponses } from "./last-responses.ts";

/**
 * How long and how large a request may be before it reaches a handler, set explicitly rather than
 * left to Node's defaults (a 5-minute request timeout, timeouts checked only every 30 s): a client
 * that trickles its headers a byte at a time (slowloris) or never finishes its body must be cut
 * within a known time, or a few hundred such sockets hold the server's file descriptors forever.
 */
export interface HttpBounds {
  /** The request line and every header must arrive within this (HTTP_HEADERS_TIMEOUT_MS). */
  headersTimeoutMs: number;
  /** The whole request, body included, must arrive within this (HTTP_REQUEST_TIMEOUT_MS). */
  requestTimeoutMs: number;
  /** An idle kept-alive connection is closed after this (HTTP_KEEP_ALIVE_TIMEOUT_MS). */
  keepAliveTimeoutMs: number;
  /**
   * A connection with no traffic either way for this long is closed (a client that stops reading
   * its answer): HTTP_REQUEST_TIMEOUT_MS too, longer than any wait of ours (WX_TIMEOUT_MS,
   * DATABASE_BUSY_TIMEOUT_MS) with the defaults.
   */
  idleTimeoutMs: number;
}

/** Node's own default, stated: a request line plus headers larger than this is refused. */
export const MAX_HEADER_BYTES = 16 * 1024;

export const DEFAULT_HTTP_BOUNDS: HttpBounds = {
  headersTimeoutMs: 10_000,
  // Room for a 2 MB avatar over a slow mobile link (about 50 KB/s).
  requestTimeoutMs: 60_000,
  keepAliveTimeoutMs: 5_000,
  idleTimeoutMs: 60_000,
};

const milliseconds = (min: number, max: number, fallback: number) => wholeNumberSetting(min, max, fallback, "ms");

/** The settings' entries for the server's env schema: spread them into its `z.object({...})`. */
export const httpBoundsEnvShape = {
  HTTP_HEADERS_TIMEOUT_MS: milliseconds(500, 600_000, DEFAULT_HTTP_BOUNDS.headersTimeoutMs),
  HTTP_REQUEST_TIMEOUT_MS: milliseconds(500, 3_600_000, DEFAULT_HTTP_BOUNDS.requestTimeoutMs),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: milliseconds(100, 600_000, DEFAULT_HTTP_BOUNDS.keepAliveTimeoutMs),
};

export function httpBounds(env: {
  HTTP_HEADERS_TIMEOUT_MS: number;
  HTTP_REQUEST_TIMEOUT_MS: number;
  HTTP_KEEP_ALIVE_TIMEOUT_MS: number;
}): HttpBounds {
  return {
    // Node refuses a headers timeout longer than the request timeout; the headers are part of it.
    headersTimeoutMs: Math.min(env.HTTP_HEADERS_TIMEOUT_MS, env.HTTP_REQUEST_TIMEOUT_MS),
    requestTimeoutMs: env.HTTP_REQUEST_TIMEOUT_MS,
    keepAliveTimeoutMs: env.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    idleTimeoutMs: env.HTTP_REQUEST_TIMEOUT_MS,
  };
}

/** The options for `http.createServer`. */
export function httpServerOptions(bounds: HttpBounds): http.ServerOptions {
  return {
    headersTimeout: bounds.headersTimeoutMs,
    requestTimeout: bounds.requestTimeoutMs,
    keepAliveTimeout: bounds.keepAliveTimeoutMs,
    maxHeaderSize: MAX_HEADER_BYTES,
    // The server refuses a request without Host itself, in its error envelope (Node's own check
    // answers a bare 400).
    requireHostHeader: false,
    // Node checks both timeouts on this timer (30 s by default, which would let a slow client
    // overstay a short timeout by that much).
    connectionsCheckingInterval: Math.max(100, Math.min(1_000, Math.floor(bounds.headersTimeoutMs / 4))),
  };
}

/** What Node's parser and timers report, as the one error envelope (400: the client's fault). */
function clientErrorAnswer(error: NodeJS.ErrnoException, bounds: HttpBounds): ApiError {
  switch (error.code) {
    case "HPE_HEADER_OVERFLOW":
      return new ApiError("INVALID_INPUT", {
        message: `The request line and headers are larger than ${MAX_HEADER_BYTES / 1024} KiB.`,
      });
    case "ERR_HTTP_REQUEST_TIMEOUT":
      return new ApiError("INVALID_INPUT", {
        message: `The request did not arrive in time (headers within ${bounds.headersTimeoutMs} ms, the whole request within ${bounds.requestTimeoutMs} ms).`,
      });
    default:
      return new ApiError("INVALID_INPUT", { message: "The request is not valid HTTP/1.1." });
  }
}

/**
 * The bounds that are not `http.createServer` options: the idle timeout, and the answer to requests
 * Node refuses before any handler sees them (unparsable, headers too large, too slow). Those get
 * the server's one error envelope instead of Node's bare status line, and their socket is closed:
 * after a parse error nothing more can be read from it.
 */
export function applyHttpBounds(server: http.Server, bounds: HttpBounds, logger: Logger): void {
  // Without a "timeout" listener Node destroys the socket when it fires.
  server.timeout = bounds.idleTimeoutMs;

  // Pipelined requests are answered in order, so an answer to a refused request may only follow
  // theirs: the connection's last response tells whether any is still being written.
  const lastResponseOf = lastResponses(server);

  server.on("clientError", (error: NodeJS.ErrnoException, duplex: Duplex) => {
    const socket = duplex as net.Socket;
    // Node stops listening for this socket's errors before it reports one here: a write to a
    // socket the client reset must not become an uncaught exception.
    socket.on("error", () => {});
    const answer = () => {
      // Nobody to answer: the client reset or closed the connection. (Earlier answers on it are
      // complete by now, so a status line here starts at a response boundary.)
      if (error.code === "ECONNRESET" || !socket.writable) {
        socket.destroy();
        return;
      }
      logger.debug({ code: error.code }, "refused a malformed or slow request");
      const { status, body } = errorEnvelope(clientErrorAnswer(error, bounds));
      const text = JSON.stringify(body);
      socket.end(
        `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? "Error"}\r\n` +
          "content-type: application/json; charset=utf-8\r\n" +
          `content-length: ${Buffer.byteLength(text)}\r\n` +
          "connection: close\r\n\r\n" +
          text,
      );
      // end() waits for the client to read; a client that never does must not keep the socket.
      socket.setTimeout(bounds.keepAliveTimeoutMs, () => socket.destroy());
    };

    const last = lastResponseOf(socket);
    if (last === undefined || last.writableFinished) return answer();
    // Requests before the refused one are still being answered. A request too slow to arrive is
    // one of them (its handler waits for its body): cut the connection, as an answer now could be
    // read as the answer to an earlier request. Otherwise (garbage after good pipelined requests)
    // answer them first, then refuse.
    if (error.code === "ERR_HTTP_REQUEST_TIMEOUT") {
      socket.destroy();
      return;
    }
    // Its "close" comes after every earlier response's.
    last.once("close", answer);
  });
}
