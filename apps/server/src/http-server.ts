import http from "node:http";
import {
  appRouter,
  ApiError,
  AVATAR_PATH_PREFIX,
  createContextInner,
  errorEnvelope,
  formatError,
  procedureMethod,
  procedureWantsAbortSignal,
  type ApiDependencies,
  type RequestInfo,
} from "@mp-auth/api";
import { APPID_HEADER, AVATAR_MAX_BYTES, AVATAR_UPLOAD_PROCEDURE } from "@mp-auth/contract";
import { checkDatabaseHealth } from "@mp-auth/db";
import type { TRPCError } from "@trpc/server";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import cors from "cors";
import type { Logger } from "pino";
import { serveAvatar } from "./avatar-files.ts";
import { clientAddress, clientProtocol, type ProxyTrust } from "./client-address.ts";
import { applyHttpBounds, httpServerOptions, type HttpBounds } from "./http-bounds.ts";
import { createLoadShedder, type LoadSheddingSettings } from "./load-shedding.ts";
import { createRequestLogger } from "./logger.ts";
import { parseRequestTarget, type RequestTarget } from "./request-target.ts";
import { createTrpcFastPath } from "./trpc-fast-path.ts";

export interface HttpServerOptions {
  deps: ApiDependencies;
  logger: Logger;
  /** `true` reflects any origin; a list allows those origins; empty means no CORS headers. */
  corsOrigins: true | string[];
  /** Which hops of X-Forwarded-For / -Proto are our own proxies (TRUST_PROXY). */
  trustProxy: ProxyTrust;
  /**
   * Set with REDIS_URL: reported by /healthz as `"redis": "up" | "down"`. A Redis outage does not
   * make the server unhealthy (every shared store falls back to the database or memory), so it is
   * reported, not answered with 503.
   */
  redisStatus?: (() => "up" | "down") | undefined;
  /** The bound on requests in flight; the excess is answered 503 OVERLOADED at once. */
  loadShedding: LoadSheddingSettings;
  /** The most procedure calls one batched request may carry (MAX_BATCH_SIZE); default 10. */
  maxBatchSize?: number;
  /** Timeouts and header size: slow or malformed clients are cut, answered in the envelope. */
  bounds: HttpBounds;
  /**
   * "fast" (default): JSON queries and mutations take the lean path (trpc-fast-path.ts), the rest
   * tRPC's stock standalone handler; "stock": every /trpc request takes the stock handler (the
   * protocol suite runs against both).
   */
  trpcPath?: "fast" | "stock";
}

/** MAX_BATCH_SIZE's default: the Taro link's default maxItems is the same. */
export const DEFAULT_MAX_BATCH_SIZE = 10;

const TRPC_PREFIX = "/trpc/";
/** Large enough for any JSON procedure input (avatars travel apart, below). */
const JSON_BODY_MAX_BYTES = 64 * 1024;
/** The one procedure whose input is a file: its own handler, with room for the file and multipart framing. */
const UPLOAD_PATH = `${TRPC_PREFIX}${AVATAR_UPLOAD_PROCEDURE}`;
const UPLOAD_BODY_MAX_BYTES = AVATAR_MAX_BYTES + 64 * 1024;

/** The path avatar uploads had before they became a tRPC mutation: answered with a pointer. */
const FORMER_UPLOAD_PATH = "/uploads/avatar";

/** Writes any error as the one envelope every error answer of this server has (api's errorEnvelope). */
function sendError(res: http.ServerResponse, error: unknown): void {
  const { status, body } = errorEnvelope(error);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8" });
  res.end(JSON.stringify(body));
}

function isMultipart(req: http.IncomingMessage): boolean {
  return req.headers["content-type"]?.split(";", 1)[0]?.trim().toLowerCase() === "multipart/form-data";
}

/** The procedure paths a /trpc request names, decoded as tRPC decodes them; undefined if undecodable. */
function procedurePaths(url: RequestTarget): string[] | undefined {
  let path: string;
  try {
    path = decodeURIComponent(url.pathname.slice(TRPC_PREFIX.length));
  } catch {
    return undefined; // tRPC answers it: INVALID_INPUT
  }
  return url.searchParams.get("batch") === "1" ? path.split(",") : [path];
}

/**
 * How many times a header (lower-case name) was sent, from the raw header list: what
 * `req.headersDistinct[name].length` says, without building that object of every header per request.
 */
function countHeader(req: http.IncomingMessage, name: string): number {
  const raw = req.rawHeaders;
  let count = 0;
  for (let index = 0; index < raw.length; index += 2) {
    const header = raw[index]!;
    if (header.length === name.length && header.toLowerCase() === name) count++;
  }
  return count;
}

/**
 * What a /trpc request must pass before tRPC spends any work on it, as an error, or undefined:
 * - a method procedures do not take (DELETE, PUT, PATCH...): 405 with the methods they do take.
 *   tRPC would answer 415 (it looks for a body type first), or run the content-type guesswork.
 * - two Authorization headers: Node keeps the first and drops the rest, so which token a call
 *   runs as would depend on header order through every proxy. Refused rather than guessed.
 * - a batch of more than `maxBatchSize` calls: each call is at least one lookup, so one GET of a
 *   thousand calls would stall everyone else. Checked here, by count, so the answer is
 *   BATCH_TOO_LARGE by construction rather than recognised from tRPC's English message.
 */
function trpcRequestRefusal(
  req: http.IncomingMessage,
  url: RequestTarget,
  maxBatchSize: number,
): { error: ApiError; allow?: string } | undefined {
  if (req.method !== "GET" && req.method !== "POST" && req.method !== "HEAD") {
    const methods = new Set((procedurePaths(url) ?? []).map(procedureMethod).filter((method) => method !== undefined));
    const allow = methods.size > 0 ? [...methods].sort().join(", ") : "GET, POST";
    return {
      allow,
      error: new ApiError("METHOD_NOT_ALLOWED", {
        message: `${req.method} is not allowed here: queries are called with GET, mutations with POST (Allow: ${allow}).`,
      }),
    };
  }
  const authorizations = countHeader(req, "authorization");
  if (authorizations > 1) {
    return {
      error: new ApiError("INVALID_INPUT", {
        message: `Send the Authorization header once: this request has ${authorizations}.`,
      }),
    };
  }
  // Only a batch names more than one call: a single call is not decoded twice (tRPC decodes it).
  const paths = url.searchParams.get("batch") === "1" ? procedurePaths(url) : undefined;
  if (paths && paths.length > maxBatchSize) {
    return {
      error: new ApiError("BATCH_TOO_LARGE", {
        message: `Too many calls in one batch: ${paths.length} calls, at most ${maxBatchSize} per request (MAX_BATCH_SIZE).`,
      }),
    };
  }
  return undefined;
}

/** GET /healthz, tRPC under /trpc, avatar files, CORS for the H5 build, one log line per request. */
export function createHttpServer({
  deps,
  logger,
  corsOrigins,
  trustProxy,
  loadShedding,
  maxBatchSize = DEFAULT_MAX_BATCH_SIZE,
  redisStatus,
  bounds,
  trpcPath = "fast",
}: HttpServerOptions): http.Server {
  /** Milliseconds spent in WeChat API calls per request, for its log line (only requests that called). */
  const wechatTime = new WeakMap<http.IncomingMessage, number>();
  const requestInfo = (req: http.IncomingMessage): RequestInfo => new HttpRequestInfo(req, trustProxy, wechatTime);

  /** One onError for both paths: the same calls are logged whichever path answered them. */
  const onTrpcError = ({ error, path }: { error: TRPCError; path: string | undefined }) => {
    // Expected refusals are the client's business; only server faults (INTERNAL, and our own
    // 500s such as WX_MISCONFIGURED) are logged, with their cause, and database trouble, which
    // the operator must see.
    // A client that left before its body ended: nobody reads the answer, and it is no fault of ours.
    if (error.code === "CLIENT_CLOSED_REQUEST") return;
    // Database refusals first: tRPC gives them code INTERNAL_SERVER_ERROR (they are not its errors).
    const { reason } = formatError(error).data;
    if (reason === "DATABASE_UNAVAILABLE" || reason === "DATABASE_BUSY") {
      logger.warn({ procedure: path, reason, err: error.cause ?? error }, "database refused a call");
    } else if (error.code === "INTERNAL_SERVER_ERROR" || reason === "INTERNAL") {
      logger.error({ procedure: path, err: error.cause ?? error }, "procedure failed");
    }
  };
  const trpcHandlerFor = (maxBodySize: number) =>
    createHTTPHandler({
      router: appRouter,
      basePath: TRPC_PREFIX,
      maxBodySize,
      // A backstop only: trpcRequestRefusal refuses larger batches first, as BATCH_TOO_LARGE.
      maxBatchSize,
      // tRPC answers errors raised before it knows the call (a bad URL encoding, a batch mixing
      // queries and mutations) without a content type, which Fetch makes text/plain: the body is
      // the JSON envelope all the same, so say so.
      responseMeta: ({ errors, eagerGeneration }) =>
        errors.length > 0 && !eagerGeneration ? { headers: { "content-type": "application/json" } } : {},
      createContext: ({ req }) => createContextInner(deps, requestInfo(req)),
      onError: onTrpcError,
    });
  const trpcHandler = trpcHandlerFor(JSON_BODY_MAX_BYTES);
  const uploadHandler = trpcHandlerFor(UPLOAD_BODY_MAX_BYTES);
  const fastPath =
    trpcPath === "fast"
      ? createTrpcFastPath({
          router: appRouter,
          prefix: TRPC_PREFIX,
          maxBodyBytes: JSON_BODY_MAX_BYTES,
          createContext: (req) => createContextInner(deps, requestInfo(req)),
          onError: onTrpcError,
          // Only procedures that declare `.meta({ abortSignal: true })` read it (api's ProcedureMeta).
          wantsSignal: procedureWantsAbortSignal,
        })
      : undefined;

  /** A fault outside tRPC: logged with its cause, answered without it. */
  const failed = (res: http.ServerResponse, error: unknown) => {
    logger.error({ err: error }, "request failed");
    if (res.headersSent) return res.destroy();
    sendError(res, new ApiError("INTERNAL"));
  };

  const corsMiddleware = cors({
    origin: corsOrigins === true ? true : corsOrigins.length > 0 ? corsOrigins : false,
    methods: ["GET", "POST", "OPTIONS"],
    allowedHeaders: ["authorization", "content-type", "trpc-accept", "x-trpc-source", APPID_HEADER],
    maxAge: 600,
  });

  const healthz = (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.setHeader("allow", "GET, HEAD");
      return sendError(res, new ApiError("METHOD_NOT_ALLOWED", { message: "/healthz is read with GET." }));
    }
    // Healthy means able to serve logins: the database file is the one opened, writable, and
    // answers. WeChat is not probed (it has no free ping, and an outage there is reported per call
    // as WX_* errors).
    checkDatabaseHealth(deps.db).then(
      (health) => {
        if (health.ok) {
          res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" });
          res.end(JSON.stringify({ status: "ok", ...(redisStatus ? { redis: redisStatus() } : {}) }));
          return;
        }
        // The problem names the file: logged for the operator, not sent to whoever asks.
        logger.error({ problem: health.problem }, "health check: database unavailable");
        sendError(res, new ApiError("DATABASE_UNAVAILABLE"));
      },
      (error: unknown) => failed(res, error),
    );
  };

  const shedder = createLoadShedder({
    ...loadShedding,
    onShed: (cause) => {
      // At overload a line per refusal would add to the load: one every 100 refusals.
      if (shedder.shed % 100 === 1) logger.warn({ cause, shed: shedder.shed }, "overloaded: requests shed");
    },
  });
  const requestLog = createRequestLogger(logger);
  // Inside CORS, so a browser can read the 503 of a shed request; shed requests skip the request
  // log line (onShed above counts them).
  const route = shedder.wrap((req, res) => {
    const started = performance.now();
    // Path only: query strings of tRPC GETs carry procedure input.
    const url = parseRequestTarget(req.url);
    const pathname = url?.pathname;
    res.on("finish", () => {
      // Hundredths of a millisecond: whole ones hid most of a fast answer's spread.
      const ms = roundMs(performance.now() - started);
      const wechatMs = wechatTime.get(req);
      if (wechatMs === undefined) {
        requestLog.info({ method: req.method, path: pathname, status: res.statusCode, ms }, "request");
      } else {
        // How much of it was WeChat's (RequestInfo.noteWechatCall): the server's own time is the rest.
        const fields = { method: req.method, path: pathname, status: res.statusCode, ms, wechatMs: roundMs(wechatMs) };
        requestLog.info(fields, "request");
      }
    });
    if (url === undefined || pathname === undefined) {
      req.resume();
      return sendError(res, new ApiError("INVALID_INPUT", { message: "The request target is not a URL path." }));
    }
    // Node's own check (requireHostHeader, off in http-bounds.ts) answers a bare 400 without the envelope.
    if (req.httpVersion === "1.1" && !req.headers.host) {
      req.resume();
      return sendError(res, new ApiError("INVALID_INPUT", { message: "An HTTP/1.1 request needs a Host header." }));
    }

    if (pathname === "/healthz") return healthz(req, res);
    if (pathname === "/trpc" || pathname.startsWith(TRPC_PREFIX)) {
      const refusal = trpcRequestRefusal(req, url, maxBatchSize);
      if (refusal) {
        // Drain what the client sent, so the answer is read rather than the connection reset.
        req.resume();
        if (refusal.allow) res.setHeader("allow", refusal.allow);
        return sendError(res, refusal.error);
      }
    }
    if (pathname === UPLOAD_PATH && isMultipart(req)) return void uploadHandler(req, res);
    if (pathname === "/trpc" || pathname.startsWith(TRPC_PREFIX)) {
      if (fastPath?.(req, res, url)) return;
      // tRPC's last-resort answer (an unusable Host header, say) sets no content type.
      res.setHeader("content-type", "application/json");
      return void trpcHandler(req, res);
    }
    if (pathname.startsWith(AVATAR_PATH_PREFIX)) {
      const name = pathname.slice(AVATAR_PATH_PREFIX.length);
      serveAvatar(req, res, name, {
        store: deps.avatarStore,
        logger,
        sendError: (error) => sendError(res, error),
      }).catch((error: unknown) => failed(res, error));
      return;
    }
    // Drain what the client sent, so the answer is read rather than the connection reset.
    req.resume();
    sendError(
      res,
      new ApiError("ROUTE_NOT_FOUND", {
        ...(pathname === FORMER_UPLOAD_PATH
          ? { message: "Avatar uploads moved to the tRPC mutation user.uploadAvatar (POST /trpc/user.uploadAvatar)." }
          : {}),
      }),
    );
  });

  // With no origin allowed (CORS_ORIGINS empty) cors would set nothing: it is not called at all.
  const corsEnabled = corsOrigins === true || corsOrigins.length > 0;
  const server = http.createServer(httpServerOptions(bounds), (req, res) =>
    corsEnabled ? corsMiddleware(req, res, () => route(req, res)) : route(req, res),
  );
  applyHttpBounds(server, bounds, logger);
  return server;
}

function roundMs(ms: number): number {
  return Math.round(ms * 100) / 100;
}

/**
 * The request's facts for the API. The client address and origin go through the proxy-trust rules
 * (X-Forwarded-*), which only logins, uploads and avatar URLs read: worked out on first read, so a
 * session check does not pay for them. A class, not an object literal with getters: a literal
 * defines its accessors on every object it makes (2% of a cached user.me's CPU in a profile); a
 * class keeps them on its prototype.
 */
class HttpRequestInfo implements RequestInfo {
  readonly authorization: string | undefined;
  readonly userAgent: string | undefined;
  /**
   * Which mini-program the request is for (README "Several mini-programs"); resolved per call.
   * Node joins a repeated custom header with ", ": no appid matches that, so it is UNKNOWN_APPID.
   */
  readonly appid: string | undefined;
  readonly referer: string | undefined;
  #clientIp: { value: string | undefined } | undefined;
  #origin: string | undefined;

  constructor(
    private readonly req: http.IncomingMessage,
    private readonly trustProxy: ProxyTrust,
    private readonly wechatTime: WeakMap<http.IncomingMessage, number>,
  ) {
    this.authorization = req.headers.authorization;
    this.userAgent = req.headers["user-agent"];
    this.appid = req.headers[APPID_HEADER] as string | undefined;
    this.referer = req.headers.referer;
  }

  get clientIp(): string | undefined {
    this.#clientIp ??= { value: clientAddress(this.req, this.trustProxy) };
    return this.#clientIp.value;
  }

  get origin(): string {
    this.#origin ??= `${clientProtocol(this.req, this.trustProxy)}://${this.req.headers.host ?? "localhost"}`;
    return this.#origin;
  }

  noteWechatCall(ms: number): void {
    this.wechatTime.set(this.req, (this.wechatTime.get(this.req) ?? 0) + ms);
  }
}
