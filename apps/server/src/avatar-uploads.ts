import { randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, stat, writeFile } from "node:fs/promises";
import type http from "node:http";
import path from "node:path";
import { ApiError, authenticateSession, createContextInner, type ApiDependencies } from "@mp-auth/api";
import busboy from "busboy";
import type { Logger } from "pino";

/**
 * Avatar uploads for the chooseAvatar flow: the button gives a temporary file that exists only on
 * the phone, so the mini-program uploads it here (Taro.uploadFile, multipart, field "file") and
 * sends the returned URL to user.updateProfile. Files land on local disk: right for one instance;
 * several instances need shared storage or a CDN (see README).
 */
export const AVATAR_MAX_BYTES = 2 * 1024 * 1024;
export const AVATAR_PATH_PREFIX = "/uploads/avatars/";

/** Image types recognised by their first bytes: the client's Content-Type is not trusted. */
const IMAGE_SIGNATURES: { extension: string; contentType: string; matches(bytes: Buffer): boolean }[] = [
  {
    extension: "png",
    contentType: "image/png",
    matches: (b) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])),
  },
  { extension: "jpg", contentType: "image/jpeg", matches: (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff },
  {
    extension: "gif",
    contentType: "image/gif",
    matches: (b) => ["GIF87a", "GIF89a"].includes(b.subarray(0, 6).toString("latin1")),
  },
  {
    extension: "webp",
    contentType: "image/webp",
    matches: (b) => b.subarray(0, 4).toString("latin1") === "RIFF" && b.subarray(8, 12).toString("latin1") === "WEBP",
  },
];
const STORED_NAME = /^[0-9a-f]{32}\.(png|jpg|gif|webp)$/;

export interface AvatarUploadOptions {
  deps: ApiDependencies;
  logger: Logger;
  /** Folder for stored files (created on demand). */
  uploadDir: string;
  /** Origin put in returned URLs; by default the request's own (Host, and X-Forwarded-Proto behind a trusted proxy). */
  publicUrl: string | undefined;
  trustProxy: boolean;
  maxBytes?: number;
}

function sendJson(res: http.ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8" });
  res.end(JSON.stringify(body));
}

function sendError(res: http.ServerResponse, status: number, reason: string, message: string) {
  sendJson(res, status, { error: { message, reason } });
}

type ReadResult = { file: Buffer } | { error: { status: number; reason: string; message: string } };

/** Reads exactly one file field named "file", up to maxBytes, from a multipart body. */
function readSingleFile(req: http.IncomingMessage, maxBytes: number): Promise<ReadResult> {
  return new Promise((resolve) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: req.headers, limits: { files: 1, fileSize: maxBytes, fields: 10, parts: 11 } });
    } catch {
      resolve({
        error: {
          status: 400,
          reason: "INVALID_INPUT",
          message: 'Send multipart/form-data with one file field named "file".',
        },
      });
      return;
    }
    let result: ReadResult | undefined;
    parser.on("file", (name, stream) => {
      if (name !== "file" || result) {
        stream.resume();
        result ??= {
          error: {
            status: 400,
            reason: "INVALID_INPUT",
            message: "The file field must be named \"file\" (Taro.uploadFile name: 'file').",
          },
        };
        return;
      }
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("limit", () => {
        result = {
          error: {
            status: 413,
            reason: "UPLOAD_TOO_LARGE",
            message: `The avatar is larger than ${Math.round(maxBytes / 1024)} KB.`,
          },
        };
      });
      stream.on("end", () => {
        result ??= { file: Buffer.concat(chunks) };
      });
    });
    parser.on("close", () => {
      resolve(
        result ?? {
          error: { status: 400, reason: "INVALID_INPUT", message: 'No file field named "file" in the upload.' },
        },
      );
    });
    parser.on("error", () => {
      resolve({ error: { status: 400, reason: "INVALID_INPUT", message: "The multipart body is malformed." } });
    });
    req.pipe(parser);
  });
}

export function createAvatarUploads(options: AvatarUploadOptions) {
  const maxBytes = options.maxBytes ?? AVATAR_MAX_BYTES;
  const avatarDir = path.join(options.uploadDir, "avatars");

  const origin = (req: http.IncomingMessage) => {
    if (options.publicUrl) return options.publicUrl.replace(/\/+$/, "");
    const forwardedProto = req.headers["x-forwarded-proto"];
    const proto =
      options.trustProxy && typeof forwardedProto === "string" ? forwardedProto.split(",")[0]!.trim() : "http";
    return `${proto}://${req.headers.host ?? "localhost"}`;
  };

  /** POST /uploads/avatar */
  async function upload(req: http.IncomingMessage, res: http.ServerResponse) {
    if (req.method !== "POST") {
      res.setHeader("allow", "POST");
      sendError(res, 405, "INVALID_INPUT", "Use POST with multipart/form-data.");
      return;
    }
    try {
      await authenticateSession(createContextInner(options.deps, { authorization: req.headers.authorization }));
    } catch (error) {
      req.resume();
      if (error instanceof ApiError) return sendError(res, 401, error.reason, error.message);
      throw error;
    }
    const declaredLength = Number(req.headers["content-length"] ?? 0);
    if (declaredLength > maxBytes + 64 * 1024) {
      req.resume();
      return sendError(res, 413, "UPLOAD_TOO_LARGE", `The avatar is larger than ${Math.round(maxBytes / 1024)} KB.`);
    }
    const read = await readSingleFile(req, maxBytes);
    if ("error" in read) return sendError(res, read.error.status, read.error.reason, read.error.message);
    const type = IMAGE_SIGNATURES.find((signature) => signature.matches(read.file));
    if (!type)
      return sendError(res, 415, "UPLOAD_UNSUPPORTED_TYPE", "The avatar must be a PNG, JPEG, GIF or WebP image.");

    const name = `${randomBytes(16).toString("hex")}.${type.extension}`;
    await mkdir(avatarDir, { recursive: true });
    await writeFile(path.join(avatarDir, name), read.file, { flag: "wx" });
    options.logger.info({ bytes: read.file.length, type: type.contentType }, "avatar uploaded");
    sendJson(res, 200, { url: `${origin(req)}${AVATAR_PATH_PREFIX}${name}` });
  }

  /** GET /uploads/avatars/<name> */
  async function serve(req: http.IncomingMessage, res: http.ServerResponse, name: string) {
    const type = IMAGE_SIGNATURES.find((signature) => name.endsWith(`.${signature.extension}`));
    if ((req.method !== "GET" && req.method !== "HEAD") || !STORED_NAME.test(name) || !type) {
      return sendError(res, 404, "NOT_FOUND", "No such avatar.");
    }
    const file = path.join(avatarDir, name);
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) return sendError(res, 404, "NOT_FOUND", "No such avatar.");
    res.writeHead(200, {
      "content-type": type.contentType,
      "content-length": info.size,
      // Names are random and files never change.
      "cache-control": "public, max-age=31536000, immutable",
      "x-content-type-options": "nosniff",
    });
    if (req.method === "HEAD") return res.end();
    createReadStream(file).pipe(res);
  }

  return { upload, serve };
}
