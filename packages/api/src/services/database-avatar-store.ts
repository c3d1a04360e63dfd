import { Readable } from "node:stream";
import type { Database } from "@mp-auth/db";
import { storedAvatarType, type AvatarStore } from "./avatars.ts";

/** How many names one query of list() reads: the sweep walks the table in pages, never all at once. */
const LIST_PAGE = 500;

/**
 * Avatars as rows of the AvatarFile table (AVATAR_STORAGE=database): every instance sharing the
 * database serves every upload, with no other service to run. Avatars are at most AVATAR_MAX_BYTES
 * (2 MB), so a whole file per row is fine on SQLite (BLOB), PostgreSQL (BYTEA) and MySQL (LONGBLOB);
 * a read loads one file into memory, like the upload that stored it.
 */
export function createDatabaseAvatarStore(db: Database, options: { listPageSize?: number } = {}): AvatarStore {
  const pageSize = options.listPageSize ?? LIST_PAGE;
  return {
    async put(name, bytes) {
      // create, not upsert: a random-name collision is a bug worth failing on (P2002), like the
      // local store's exclusive create.
      await db.avatarFile.create({
        data: {
          name,
          contentType: storedAvatarType(name) ?? "application/octet-stream",
          bytes: Uint8Array.from(bytes),
          size: bytes.byteLength,
        },
      });
    },
    async get(name) {
      const file = await db.avatarFile.findUnique({ where: { name }, select: { bytes: true, size: true } });
      if (!file) return undefined;
      const bytes = Buffer.from(file.bytes.buffer, file.bytes.byteOffset, file.bytes.byteLength);
      // One chunk of bytes (not object mode): the route pipes it into the response like a file stream.
      return { body: Readable.from([bytes], { objectMode: false }), size: bytes.byteLength };
    },
    async delete(name) {
      // deleteMany: a name already gone is no error (delete would throw P2025).
      await db.avatarFile.deleteMany({ where: { name } });
    },
    async *list() {
      let after: string | undefined;
      for (;;) {
        // Keyset pages by name: rows deleted meanwhile (by this sweep or another instance) shift nothing.
        const page = await db.avatarFile.findMany({
          ...(after === undefined ? {} : { where: { name: { gt: after } } }),
          select: { name: true, createdAt: true },
          orderBy: { name: "asc" },
          take: pageSize,
        });
        for (const row of page) yield { name: row.name, storedAt: row.createdAt };
        if (page.length < pageSize) return;
        after = page.at(-1)!.name;
      }
    },
  };
}
