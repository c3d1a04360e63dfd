import { z } from "zod";

/**
 * Newest-first cursor paging over rows keyed by (createdAt, id), for any list a user owns (notes.list
 * uses it; a feature of your own can too).
 *
 * Why (createdAt, id): the key of a row must never change, or paging breaks while the user scrolls.
 * Ordered by updatedAt, a note edited on another device jumps to the top: it is skipped if it had
 * not been loaded yet, and shown twice if the edit happens between two pages. createdAt never
 * changes, and the id breaks ties (notes created in the same millisecond, or imported together), so
 * every row is on exactly one page whatever is added, edited or deleted meanwhile.
 *
 * Why a cursor of its own instead of Prisma's `cursor: { id }`: Prisma finds the cursor's row to
 * read its key, so when that row was deleted (the last note of a page, deleted by the user while
 * the next page loads) the next page comes back empty. This cursor carries the key itself, and
 * the query is "older than this key", which needs no row.
 *
 * The cursor is opaque to clients (base64url of `<createdAt ms>:<id>`): they pass back the
 * `nextCursor` they got, and the server may change what is inside without a client noticing. It is
 * URL-safe, so a GET's query string carries it unescaped.
 */
export interface PageKey {
  createdAt: Date;
  id: string;
}

const CURSOR_MAX_LENGTH = 128;
const DECODED = /^(\d{1,15}):([A-Za-z0-9_-]{1,64})$/;
const FOREIGN_CURSOR = "cursor is not one this server wrote: pass back nextCursor as it was";

export function encodeCursor(key: PageKey): string {
  return Buffer.from(`${key.createdAt.getTime()}:${key.id}`, "utf8").toString("base64url");
}

/** The key inside a cursor, or undefined for anything this server did not write. */
export function decodeCursor(cursor: string): PageKey | undefined {
  if (cursor.length > CURSOR_MAX_LENGTH || !/^[A-Za-z0-9_-]+$/.test(cursor)) return undefined;
  const match = DECODED.exec(Buffer.from(cursor, "base64url").toString("utf8"));
  if (!match) return undefined;
  const createdAt = new Date(Number(match[1]));
  return Number.isNaN(createdAt.getTime()) ? undefined : { createdAt, id: match[2]! };
}

/**
 * The paging fields of a list's input. `cursor` is optional and may be null: TanStack Query's first
 * page (tRPC's `infiniteQueryOptions`) sends `cursor: null`. A cursor this server did not write is
 * INVALID_INPUT, never an empty page that would look like the end of the list.
 */
export function pageInput(limits: { defaultSize: number; maxSize: number }) {
  const limitRule = `limit must be a whole number from 1 to ${limits.maxSize}`;
  return {
    cursor: z
      .string({ error: "cursor must be a string: the nextCursor of the previous page" })
      .max(CURSOR_MAX_LENGTH, FOREIGN_CURSOR)
      .transform((cursor, ctx) => {
        const key = decodeCursor(cursor);
        if (key) return key;
        ctx.addIssue({ code: "custom", message: FOREIGN_CURSOR });
        return z.NEVER;
      })
      .nullish(),
    limit: z
      .number({ error: limitRule })
      .int(limitRule)
      .min(1, limitRule)
      .max(limits.maxSize, limitRule)
      .default(limits.defaultSize),
  };
}

/** Newest first, ties broken by id: the order the cursor continues. */
export const newestFirst: ({ createdAt: "desc" } | { id: "desc" })[] = [{ createdAt: "desc" }, { id: "desc" }];

/** The rows after `key` in `newestFirst` order (all rows without a key). */
export function olderThan(key: PageKey | null | undefined) {
  if (!key) return {};
  return { OR: [{ createdAt: { lt: key.createdAt } }, { createdAt: key.createdAt, id: { lt: key.id } }] };
}

/**
 * One page from `limit + 1` rows read in `newestFirst` order: the extra row only says whether
 * there is a next page, and the cursor is the key of the page's last row.
 */
export function toPage<Row extends PageKey, Item>(
  rows: Row[],
  limit: number,
  toItem: (row: Row) => Item,
): { items: Item[]; nextCursor: string | null } {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { items: page.map(toItem), nextCursor: rows.length > limit && last ? encodeCursor(last) : null };
}
