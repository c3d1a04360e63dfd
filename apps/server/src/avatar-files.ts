import type http from "node:http";
import { pipeline } from "node:stream/promises";
import { ApiError, storedAvatarType, type AvatarStore } from "@mp-auth/api";
import type { Logger } from "pino";

/**
 * GET /uploads/avatars/<name>: the files user.uploadAvatar stored. Only names the API gives are
 * looked up (no path traversal), and a read that fails midway ends that response, never the process.
 * `sendError` answers in the one error envelope of the server.
 */
export async function serveAvatar(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  name: string,
  options: { store: AvatarStore; logger: Logger; sendError(error: unknown): void },
): Promise<void> {
  const notFound = () => options.sendError(new ApiError("ROUTE_NOT_FOUND", { message: "No such avatar." }));
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.setHeader("allow", "GET, HEAD");
    return options.sendError(new ApiError("METHOD_NOT_ALLOWED", { message: "Avatars are read with GET." }));
  }
  const contentType = storedAvatarType(name);
  if (!contentType) return notFound();
  const file = await options.store.get(name);
  if (!file) return notFound();
  res.writeHead(200, {
    "content-type": contentType,
    "content-length": file.size,
    // Names are random and files never change.
    "cache-control": "public, max-age=31536000, immutable",
    "x-content-type-options": "nosniff",
  });
  if (req.method === "HEAD") {
    file.body.destroy();
    res.end();
    return;
  }
  try {
    await pipeline(file.body, res);
  } catch (error) {
    // Headers are gone: the client sees a cut-off body (its length disagrees), we log why.
    // A client that went away is no fault of ours.
    if (!res.destroyed || (error as NodeJS.ErrnoException).code !== "ERR_STREAM_PREMATURE_CLOSE") {
      options.logger.warn({ err: error }, "serving an avatar failed midway");
    }
    res.destroy();
  }
}
