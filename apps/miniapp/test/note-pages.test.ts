import { describe, expect, it } from "vitest";
import { allNotes, patchNote, prependNote, removeNote } from "../src/pages/notes/note-pages";
import { noteDraftRefusal } from "../src/pages/notes/note-draft";

const note = (id: string, title = id) => ({
  id,
  title,
  body: "",
  createdAt: "2026-01-01T00:00:00.000Z",
  updatedAt: "2026-01-01T00:00:00.000Z",
});

const loaded = {
  pages: [
    { items: [note("b"), note("a")], nextCursor: "c1" },
    { items: [note("z")], nextCursor: null },
  ],
  pageParams: [null, "c1"],
};

describe("the notes list's optimistic changes", () => {
  it("puts a new note first on the first page", () => {
    expect(allNotes(prependNote(loaded, note("new"))).map(({ id }) => id)).toEqual(["new", "b", "a", "z"]);
  });

  it("patches one note wherever it is, and leaves the others (and the original data) alone", () => {
    const patched = patchNote(loaded, "z", { title: "改过" });
    expect(allNotes(patched).map(({ title }) => title)).toEqual(["b", "a", "改过"]);
    expect(allNotes(loaded).map(({ title }) => title)).toEqual(["b", "a", "z"]);
    expect(patched?.pageParams).toBe(loaded.pageParams);
  });

  it("removes one note and keeps the paging cursors", () => {
    const removed = removeNote(loaded, "a");
    expect(allNotes(removed).map(({ id }) => id)).toEqual(["b", "z"]);
    expect(removed?.pages.map(({ nextCursor }) => nextCursor)).toEqual(["c1", null]);
  });

  it("changes nothing before the list is loaded", () => {
    expect(prependNote(undefined, note("x"))).toBeUndefined();
    expect(allNotes(undefined)).toEqual([]);
  });
});

describe("the note form's pre-check (the contract's rules, worded in Chinese)", () => {
  it("refuses an empty title and an over-long body, and accepts an empty body", () => {
    expect(noteDraftRefusal({ title: "  ", body: "" })).toMatchObject({
      reason: "INVALID_INPUT",
      action: "show",
      message: "标题不能为空",
    });
    expect(noteDraftRefusal({ title: "购物", body: "多".repeat(2001) })?.message).toBe("内容最多 2000 个字");
    expect(noteDraftRefusal({ title: "购物", body: "" })).toBeUndefined();
  });
});
