import {
  NOTES_MAX_PER_USER,
  NOTES_PAGE_SIZE_DEFAULT,
  NOTES_PAGE_SIZE_MAX,
  noteBodyProblem,
  noteRuleMessage,
  noteTitleProblem,
  type InputIssueCode,
  type NoteField,
} from "@mp-auth/contract";
import type { Prisma } from "@mp-auth/db";
import { z } from "zod";
import { ApiError } from "../errors.ts";
import { newestFirst, olderThan, pageInput, toPage } from "../services/paging.ts";
import { createTRPCRouter, protectedProcedure } from "../trpc.ts";

/**
 * The example feature: a user's saved notes. Every procedure is protected (a live session), every
 * query is scoped to `ctx.user.id`, and another user's note is NOT_FOUND exactly like one that does
 * not exist, so ids reveal nothing. Copy this file's shape for a feature of your own.
 */

/** The only note fields that leave the server: an explicit select, so a new column cannot leak. */
const noteSelect = {
  id: true,
  title: true,
  body: true,
  createdAt: true,
  updatedAt: true,
} as const satisfies Prisma.NoteSelect;

type NoteRow = Prisma.NoteGetPayload<{ select: typeof noteSelect }>;

/** What goes over the wire: timestamps as ISO-8601 strings (no transformer). */
function toNoteJson(note: NoteRow) {
  return {
    id: note.id,
    title: note.title,
    body: note.body,
    createdAt: note.createdAt.toISOString(),
    updatedAt: note.updatedAt.toISOString(),
  };
}
export type NoteJson = ReturnType<typeof toNoteJson>;

/**
 * A title or body judged by the contract's rule, the one the mini-program checks before sending.
 * Trimmed as saved; the issue code is the rule's name (too_small, too_long, control_characters...).
 */
function noteText(field: NoteField, problem: (value: string) => InputIssueCode | undefined) {
  return z
    .string({ error: `${field} must be a string` })
    .trim()
    .superRefine((value, ctx) => {
      const rule = problem(value);
      if (rule) ctx.addIssue({ code: "custom", message: noteRuleMessage(field, rule), params: { rule } });
    });
}
const title = noteText("title", noteTitleProblem);
const body = noteText("body", noteBodyProblem);
/** cuid ids are 25 characters; the bound leaves room without reading junk. */
const noteId = z
  .string({ error: "id must be a string" })
  .min(1, "id is required")
  .max(64, "id is too long: pass the id of one of your notes");

export const listNotesInput = z
  // Not strict: tRPC's infiniteQueryOptions adds `direction` to the input; it is ignored (forward only).
  .object(pageInput({ defaultSize: NOTES_PAGE_SIZE_DEFAULT, maxSize: NOTES_PAGE_SIZE_MAX }))
  .optional()
  .default({ limit: NOTES_PAGE_SIZE_DEFAULT });
export const createNoteInput = z.object({ title, body: body.default("") }).strict();
export const updateNoteInput = z
  .object({ id: noteId, title: title.optional(), body: body.optional() })
  .strict()
  .refine((input) => input.title !== undefined || input.body !== undefined, "pass title and/or body");
export const deleteNoteInput = z.object({ id: noteId }).strict();

const notFound = () => new ApiError("NOT_FOUND", { message: "No note with this id belongs to you." });

export const notesRouter = createTRPCRouter({
  /**
   * The caller's notes, newest first, a page at a time: pass the previous page's `nextCursor` as
   * `cursor` for the next one; `nextCursor` is null on the last page (see services/paging.ts).
   */
  list: protectedProcedure.input(listNotesInput).query(async ({ ctx, input }) => {
    const rows = await ctx.deps.db.note.findMany({
      where: { userId: ctx.user.id, ...olderThan(input.cursor) },
      orderBy: newestFirst,
      take: input.limit + 1,
      select: noteSelect,
    });
    return toPage(rows, input.limit, toNoteJson);
  }),

  /**
   * Saves a new note (body optional). A user keeps at most NOTES_MAX_PER_USER notes: past it,
   * QUOTA_EXCEEDED. Counted in the transaction of the insert: exact on SQLite (one writer at a time);
   * on PostgreSQL / MySQL two creates racing at the limit may both pass, a bound on storage, not an
   * invariant anything relies on.
   */
  create: protectedProcedure.input(createNoteInput).mutation(async ({ ctx, input }) => {
    const now = ctx.now();
    const note = await ctx.deps.db.$transaction(async (tx) => {
      const kept = await tx.note.count({ where: { userId: ctx.user.id } });
      if (kept >= NOTES_MAX_PER_USER) {
        throw new ApiError("QUOTA_EXCEEDED", {
          message: `You keep ${NOTES_MAX_PER_USER} notes, the most allowed: delete some first.`,
        });
      }
      return tx.note.create({
        data: { userId: ctx.user.id, title: input.title, body: input.body, createdAt: now, updatedAt: now },
        select: noteSelect,
      });
    });
    return toNoteJson(note);
  }),

  /**
   * Changes the title and/or body of one of the caller's notes; omitted fields stay. Its place in
   * notes.list does not move (the list is ordered by creation). Answers the note as saved.
   */
  update: protectedProcedure.input(updateNoteInput).mutation(async ({ ctx, input }) => {
    const note = await ctx.deps.db.$transaction(async (tx) => {
      // Scoped to the caller: another user's id matches nothing, exactly like an unknown one.
      const { count } = await tx.note.updateMany({
        where: { id: input.id, userId: ctx.user.id },
        data: {
          ...(input.title === undefined ? {} : { title: input.title }),
          ...(input.body === undefined ? {} : { body: input.body }),
          updatedAt: ctx.now(),
        },
      });
      if (count === 0) throw notFound();
      // The row is ours and locked by the update until commit: it is there to read.
      return tx.note.findUniqueOrThrow({ where: { id: input.id }, select: noteSelect });
    });
    return toNoteJson(note);
  }),

  /**
   * Deletes one of the caller's notes and answers its id. A note already gone is NOT_FOUND: a client
   * retrying a delete whose answer it missed can take NOT_FOUND as done.
   */
  delete: protectedProcedure.input(deleteNoteInput).mutation(async ({ ctx, input }) => {
    const { count } = await ctx.deps.db.note.deleteMany({ where: { id: input.id, userId: ctx.user.id } });
    if (count === 0) throw notFound();
    return { id: input.id };
  }),
});
