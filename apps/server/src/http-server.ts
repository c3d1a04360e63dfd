import http from "node:http";
import { appRouter, createContextInner, type ApiDependencies } from "@mp-auth/api";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import cors from "cors";
import type { Logger } from "pino";
import { AVATAR_PATH_PREFIX, createAvatarUploads } from "./avatar-uploads.ts";

export interface HttpServerOptions {
  deps: ApiDependencies;
  logger: Logger;
  /** `true` reflects any origin; a list allows those origins; empty means no CORS headers. */
  corsOrigins: true | string[];
  trustProxy: boolean;
  uploadDir: string;
  publicUrl: string | undefined;
}

/** Large enough for any procedure input here (avatars are URLs, not files). */
const MAX_BODY_BYTES = 64 * 1024;

/** GET /healthz, tRPC under /trpc, CORS for the H5 build, one log line per request. */
export function createHttpServer({
  deps,
  logger,
  corsOrigins,
  trustProxy,
  uploadDir,
  publicUrl,
}: HttpServerOptions): http.Server {
  const avatars = createAvatarUploads({ deps, logger, uploadDir, publicUrl, trustProxy });
  const clientIp = (req: http.IncomingMessage) => {
    const forwarded = req.headers["x-forwarded-for"];
    if (trustProxy && typeof forwarded === "string") return forwarded.split(",")[0]?.trim();
    return req.socket.remoteAddress;
  };

  const trpcHandler = createHTTPHandler({
    router: appRouter,
    basePath: "/trpc/",
    maxBodySize: MAX_BODY_BYTES,
    createContext: ({ req }) =>
      createContextInner(deps, {
        authorization: req.headers.authorization,
        userAgent: req.headers["user-agent"],
        clientIp: clientIp(req),
      }),
    onError: ({ error, path }) => {
      // Expected refusals are the client's business; only server faults are logged with their cause.
      if (error.code === "INTERNAL_SERVER_ERROR") {
        logger.error({ procedure: path, err: error.cause ?? error }, "procedure failed");
      }
    },
  });

  /** A fault outside tRPC: logged with its cause, answered without it. */
  const failed = (res: http.ServerResponse, error: unknown) => {
    logger.error({ err: error }, "request failed");
    if (res.headersSent) return res.destroy();
    res.writeHead(500, { "content-type": "application/json" });
    res.end(JSON.stringify({ error: { message: "Internal server error.", reason: "INTERNAL" } }));
  };

  const corsMiddleware = cors({
    origin: corsOrigins === true ? true : corsOrigins.length > 0 ? corsOrigins : false,
    methods: ["GET", "POST", "OPTIONS"],
    allowedHeaders: ["authorization", "content-type", "trpc-accept", "x-trpc-source"],
    maxAge: 600,
  });

  return http.createServer((req, res) => {
    const started = performance.now();
    // Path only: query strings of tRPC GETs carry procedure input.
    const pathname = new URL(req.url ?? "/", "http://localhost").pathname;
    res.on("finish", () => {
      logger.info(
        { method: req.method, path: pathname, status: res.statusCode, ms: Math.round(performance.now() - started) },
        "request",
      );
    });

    corsMiddleware(req, res, () => {
      if (pathname === "/healthz") {
        // Healthy means able to serve logins: the database answers. WeChat is not probed (it has
        // no free ping, and an outage there is reported per call as WX_* errors).
        deps.db.$queryRawUnsafe("SELECT 1").then(
          () => {
            res.writeHead(200, { "content-type": "application/json" });
            res.end(JSON.stringify({ status: "ok" }));
          },
          (error: unknown) => {
            logger.error({ err: error }, "health check: database unavailable");
            res.writeHead(503, { "content-type": "application/json" });
            res.end(JSON.stringify({ status: "unavailable", reason: "DATABASE_UNAVAILABLE" }));
          },
        );
        return;
      }
      if (pathname === "/uploads/avatar") {
        avatars.upload(req, res).catch((error: unknown) => failed(res, error));
        return;
      }
      if (pathname.startsWith(AVATAR_PATH_PREFIX)) {
        avatars
          .serve(req, res, pathname.slice(AVATAR_PATH_PREFIX.length))
          .catch((error: unknown) => failed(res, error));
        return;
      }
      if (pathname === "/trpc" || pathname.startsWith("/trpc/")) {
        trpcHandler(req, res);
        return;
      }
      res.writeHead(404, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: "Not found. The API is served under /trpc." }));
    });
  });
}
