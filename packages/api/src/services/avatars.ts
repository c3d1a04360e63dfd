import { randomBytes } from "node:crypto";
import { mkdir, open, readdir, stat, unlink, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { AVATAR_MAX_BYTES, AVATAR_UPLOAD_FIELD } from "@mp-auth/contract";
import { z } from "zod";
import type { Context } from "../context.ts";
import { ApiError } from "../errors.ts";

/**
 * Avatars for the chooseAvatar flow: the button gives a temporary file that exists only on the
 * phone, so the mini-program uploads it (user.uploadAvatar, multipart, field "file") and sends the
 * returned URL to user.updateProfile. Where files live is the AvatarStore's business.
 */

/** Where uploaded avatars are served from, relative to the server's public origin. */
export const AVATAR_PATH_PREFIX = "/uploads/avatars/";

/** Image types recognised by their first bytes: the client's Content-Type is not trusted. */
const IMAGE_TYPES: { extension: string; contentType: string; matches(bytes: Buffer): boolean }[] = [
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
/** Names we give: 128 random bits and the type's extension. Anything else is not ours to serve. */
const STORED_NAME = /^[0-9a-f]{32}\.(png|jpg|gif|webp)$/;

/** The content type of a stored avatar by its name, or undefined when the name is not one we give. */
export function storedAvatarType(name: string): string | undefined {
  if (!STORED_NAME.test(name)) return undefined;
  return IMAGE_TYPES.find((type) => name.endsWith(`.${type.extension}`))?.contentType;
}

export interface StoredAvatar {
  body: Readable;
  size: number;
}

/** One stored file, as listed for the sweep of abandoned uploads. */
export interface StoredAvatarEntry {
  name: string;
  storedAt: Date;
}

/**
 * Where avatar files live. Local disk (createLocalAvatarStore) fits one instance; several instances
 * need shared storage behind the same four calls. Names are checked by the caller (storedAvatarType).
 */
export interface AvatarStore {
  put(name: string, bytes: Uint8Array): Promise<void>;
  /** The file, or undefined when there is none by that name. */
  get(name: string): Promise<StoredAvatar | undefined>;
  /** Deletes the file; a name that is already gone is no error. */
  delete(name: string): Promise<void>;
  /** Every stored file with the time it was stored, for the sweep of uploads nobody references. */
  list(): AsyncIterable<StoredAvatarEntry>;
}

export function createLocalAvatarStore(directory: string): AvatarStore {
  return {
    async put(name, bytes) {
      await mkdir(directory, { recursive: true });
      // 'wx': never overwrite (a random-name collision would be a bug worth failing on).
      await writeFile(path.join(directory, name), bytes, { flag: "wx" });
    },
    async get(name) {
      // Open first, then size the open file: a file deleted meanwhile is either absent here or
      // stays readable through its handle until the stream ends.
      const handle = await open(path.join(directory, name), "r").catch((error: NodeJS.ErrnoException) => {
        if (error.code === "ENOENT" || error.code === "EISDIR") return undefined;
        throw error;
      });
      if (!handle) return undefined;
      try {
        const info = await handle.stat();
        if (!info.isFile()) {
          await handle.close();
          return undefined;
        }
        return { body: handle.createReadStream(), size: info.size };
      } catch (error) {
        await handle.close();
        throw error;
      }
    },
    async delete(name) {
      await unlink(path.join(directory, name)).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== "ENOENT") throw error;
      });
    },
    async *list() {
      const names = await readdir(directory).catch((error: NodeJS.ErrnoException) => {
        if (error.code === "ENOENT") return [];
        throw error;
      });
      for (const name of names) {
        if (!storedAvatarType(name)) continue;
        const info = await stat(path.join(directory, name)).catch(() => undefined);
        if (info?.isFile()) yield { name, storedAt: info.mtime };
      }
    },
  };
}

/**
 * The stored name behind an avatar URL when the URL serves one of our uploads (our avatar path and a
 * name we give), whatever its origin: the origin depends on PUBLIC_URL or the Host header of the
 * upload, the store only knows names.
 */
export function storedAvatarName(url: string | null | undefined): string | undefined {
  if (!url) return undefined;
  let pathname: string;
  try {
    pathname = new URL(url).pathname;
  } catch {
    return undefined;
  }
  if (!pathname.startsWith(AVATAR_PATH_PREFIX)) return undefined;
  const name = pathname.slice(AVATAR_PATH_PREFIX.length);
  return storedAvatarType(name) ? name : undefined;
}

/** Users whose profile shows one of these stored names (under any origin). */
async function referencedNames(db: Context["deps"]["db"], names: string[]): Promise<Set<string>> {
  if (names.length === 0) return new Set();
  const users = await db.user.findMany({
    where: { OR: names.map((name) => ({ avatarUrl: { endsWith: `${AVATAR_PATH_PREFIX}${name}` } })) },
    select: { avatarUrl: true },
  });
  return new Set(users.map((user) => storedAvatarName(user.avatarUrl)).filter((name) => name !== undefined));
}

/**
 * After a profile's avatar changed from `previousUrl`: deletes that file when it is one of our
 * uploads and no profile shows it any more. Files are not owned by the user who points at them (a
 * user may point at another's public avatar URL), so the test is "nobody references it", never
 * "this user referenced it": replacing a borrowed URL cannot delete its owner's file. A failed
 * delete is logged, not thrown: the profile change has committed, and the sweep retries later.
 */
export async function deleteReplacedAvatar(
  ctx: { deps: Pick<Context["deps"], "db" | "avatarStore" | "logger"> },
  previousUrl: string | null,
  currentUrl: string | null,
) {
  const name = storedAvatarName(previousUrl);
  if (!name || name === storedAvatarName(currentUrl)) return;
  try {
    if ((await referencedNames(ctx.deps.db, [name])).has(name)) return;
    await ctx.deps.avatarStore.delete(name);
  } catch (error) {
    ctx.deps.logger.warn({ err: error }, "could not delete a replaced avatar");
  }
}

/** How many names one reference query checks. */
const SWEEP_BATCH = 100;

/**
 * Deletes uploads stored before `storedBefore` that no profile references: avatars uploaded and
 * never set (the user picked another, or left), and replaced ones a failed delete left behind.
 * The grace period keeps the file of a user between user.uploadAvatar and user.updateProfile.
 */
export async function sweepUnreferencedAvatars(
  deps: Pick<Context["deps"], "db" | "avatarStore">,
  storedBefore: Date,
): Promise<number> {
  let deleted = 0;
  let batch: string[] = [];
  const sweep = async () => {
    const referenced = await referencedNames(deps.db, batch);
    for (const name of batch) {
      if (referenced.has(name)) continue;
      await deps.avatarStore.delete(name);
      deleted++;
    }
    batch = [];
  };
  for await (const entry of deps.avatarStore.list()) {
    if (entry.storedAt >= storedBefore) continue;
    batch.push(entry.name);
    if (batch.length >= SWEEP_BATCH) await sweep();
  }
  await sweep();
  return deleted;
}

const FIELD_HINT = `one file field named "${AVATAR_UPLOAD_FIELD}" (Taro.uploadFile name: '${AVATAR_UPLOAD_FIELD}')`;

/**
 * Input of user.uploadAvatar: multipart/form-data carrying the image in the field "file".
 * z.custom, not z.instanceof(FormData): that reads the global FormData at module load, which makes
 * Node load undici (75-160 ms of start-up); here it is read at the first upload.
 */
export const uploadAvatarInput = z
  .custom<FormData>((value) => value instanceof FormData, { error: `send multipart/form-data with ${FIELD_HINT}` })
  .transform((form, ctx) => {
    const file = form.get(AVATAR_UPLOAD_FIELD);
    if (file instanceof File) return file;
    ctx.addIssue({ code: "custom", path: [AVATAR_UPLOAD_FIELD], message: `the upload needs ${FIELD_HINT}` });
    return z.NEVER;
  });

/**
 * Stores an uploaded avatar under a random name and answers the URL it is served at. The per-user
 * upload limit is checked before this, before the body is read (routers/user.ts).
 */
export async function uploadAvatar(ctx: Context & { user: { id: string } }, file: File): Promise<{ url: string }> {
  if (file.size > AVATAR_MAX_BYTES) {
    throw new ApiError("UPLOAD_TOO_LARGE", {
      message: `The avatar is larger than ${Math.round(AVATAR_MAX_BYTES / 1024)} KB.`,
    });
  }
  const bytes = Buffer.from(await file.arrayBuffer());
  const type = IMAGE_TYPES.find((candidate) => candidate.matches(bytes));
  if (!type) throw new ApiError("UPLOAD_UNSUPPORTED_TYPE");
  const name = `${randomBytes(16).toString("hex")}.${type.extension}`;
  await ctx.deps.avatarStore.put(name, bytes);
  ctx.deps.logger.info({ userId: ctx.user.id, bytes: bytes.length, type: type.contentType }, "avatar uploaded");
  const origin = (ctx.deps.publicUrl ?? ctx.request.origin ?? "http://localhost").replace(/\/+$/, "");
  return { url: `${origin}${AVATAR_PATH_PREFIX}${name}` };
}
