import type { InfiniteData } from "@tanstack/react-query";
import type { Note, NotesPage } from "../../services/api";

/**
 * The notes list as React Query keeps it (one entry per loaded page), changed the way a mutation
 * will change it on the server, for optimistic updates. Pure: unit-tested in
 * test/note-pages.test.ts. Each returns the data unchanged when nothing is loaded yet.
 */

/** Loaded pages; the page parameter (the cursor) is whatever the query uses, kept as it is. */
type Pages<TCursor> = InfiniteData<NotesPage, TCursor> | undefined;

function mapItems<TCursor>(data: Pages<TCursor>, change: (items: Note[], pageIndex: number) => Note[]): Pages<TCursor> {
  if (!data) return data;
  return { ...data, pages: data.pages.map((page, index) => ({ ...page, items: change(page.items, index) })) };
}

/** A new note shows first: the list is newest first. */
export function prependNote<TCursor>(data: Pages<TCursor>, note: Note): Pages<TCursor> {
  return mapItems(data, (items, index) => (index === 0 ? [note, ...items] : items));
}

/** `patch` fields that are undefined stay as they are (notes.update leaves omitted fields). */
export function patchNote<TCursor>(
  data: Pages<TCursor>,
  id: string,
  patch: Partial<Pick<Note, "title" | "body" | "updatedAt">>,
): Pages<TCursor> {
  const defined = Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined));
  return mapItems(data, (items) => items.map((note) => (note.id === id ? { ...note, ...defined } : note)));
}

export function removeNote<TCursor>(data: Pages<TCursor>, id: string): Pages<TCursor> {
  return mapItems(data, (items) => items.filter((note) => note.id !== id));
}

/** Every loaded note, in order. */
export function allNotes(data: Pages<unknown>): Note[] {
  return data ? data.pages.flatMap((page) => page.items) : [];
}

/** The id of a note shown before the server saved it; such a note cannot be edited or deleted yet. */
export const PENDING_ID_PREFIX = "pending-";
