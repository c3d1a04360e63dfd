import {
  ACCOUNT_DELETION_CONFIRMATION,
  NOTES_MAX_PER_USER,
  NOTES_PAGE_SIZE_DEFAULT,
  NOTES_PAGE_SIZE_MAX,
} from "@mp-auth/contract";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiTestEngines, attempt, loginAs, startApiHarness, type ApiHarness } from "./api-harness.ts";

/** The example feature through createCaller on a real database: every rule notes.* promises. */
describe.each(await apiTestEngines())("notes on %s", (engine) => {
  let api: ApiHarness;
  beforeAll(async () => {
    api = await startApiHarness({ engine });
  });
  afterAll(async () => api?.close());

  /** A new user of its own per test: lists and quotas never see another test's notes. */
  async function newUser() {
    const { token, user } = await loginAs(api);
    return { token, userId: user.id, notes: api.caller(token).notes };
  }

  /** Every note of a user, page by page, as a client scrolling to the end would see them. */
  async function readAll(notes: ReturnType<ApiHarness["caller"]>["notes"], limit: number) {
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 100; page++) {
      const answer: Awaited<ReturnType<typeof notes.list>> = await notes.list({ cursor, limit });
      expect(answer.items.length).toBeLessThanOrEqual(limit);
      seen.push(...answer.items.map((item) => item.id));
      if (answer.nextCursor === null) return seen;
      cursor = answer.nextCursor;
    }
    throw new Error("paging did not end");
  }

  it("creates a note and lists it, with only the note's own fields", async () => {
    const { notes } = await newUser();
    const created = await notes.create({ title: "  买菜 🥬 ", body: "鸡蛋\n牛奶" });
    expect(created).toEqual({
      id: expect.any(String),
      title: "买菜 🥬",
      body: "鸡蛋\n牛奶",
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      updatedAt: created.createdAt,
    });
    expect(await notes.list()).toEqual({ items: [created], nextCursor: null });
    // The body is optional.
    expect(await notes.create({ title: "只有标题" })).toMatchObject({ body: "" });
  });

  it("pages newest first over notes sharing timestamps, each note exactly once", async () => {
    const { userId, notes } = await newUser();
    // 3 instants with 15 notes each: ties that only the id orders. Ids chosen lowercase alphanumeric
    // so every engine's collation orders them like JavaScript does.
    const instants = [
      new Date("2026-03-01T00:00:00.000Z"),
      new Date("2026-03-02T00:00:00.000Z"),
      new Date("2026-03-03T00:00:00.000Z"),
    ];
    const rows = instants.flatMap((createdAt, i) =>
      Array.from({ length: 15 }, (_, n) => ({
        id: `${engine}${userId}t${i}n${String(n).padStart(2, "0")}`.toLowerCase().replace(/[^a-z0-9]/g, ""),
        userId,
        title: `note ${i}-${n}`,
        body: "",
        createdAt,
        updatedAt: createdAt,
      })),
    );
    await api.db.note.createMany({ data: rows });
    const expected = [...rows]
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : -1))
      .map((row) => row.id);

    for (const limit of [1, 7, 15, 44, 45, NOTES_PAGE_SIZE_MAX]) {
      expect(await readAll(notes, limit), `limit ${limit}`).toEqual(expected);
    }
    // Without a limit: the default page size.
    const first = await notes.list({});
    expect(first.items.map((item) => item.id)).toEqual(expected.slice(0, NOTES_PAGE_SIZE_DEFAULT));
    expect(first.nextCursor).toEqual(expect.any(String));
  });

  it("keeps paging stable while notes are added, edited and deleted between pages", async () => {
    const { userId, notes } = await newUser();
    const createdAt = new Date("2026-04-01T00:00:00.000Z");
    await api.db.note.createMany({
      data: Array.from({ length: 12 }, (_, n) => ({
        id: `stable${engine}${userId}n${String(n).padStart(2, "0")}`.toLowerCase().replace(/[^a-z0-9]/g, ""),
        userId,
        title: `note ${n}`,
        body: "",
        createdAt,
        updatedAt: createdAt,
      })),
    });
    const everything = await readAll(notes, 50);
    const first = await notes.list({ limit: 4 });
    const firstIds = first.items.map((item) => item.id);
    // Between two pages: the last note of page 1 (the cursor's own row) is deleted, a note of the
    // next page is edited, a new note is written.
    await notes.delete({ id: firstIds[3]! });
    await notes.update({ id: everything[5]!, title: "edited" });
    await notes.create({ title: "new" });
    const rest: string[] = [];
    let cursor = first.nextCursor;
    while (cursor) {
      const page = await notes.list({ cursor, limit: 4 });
      rest.push(...page.items.map((item) => item.id));
      cursor = page.nextCursor;
    }
    // Nothing skipped, nothing twice: the rest is exactly what followed page 1 before the changes.
    expect(rest).toEqual(everything.slice(4));
  });

  it("takes what tRPC's infinite queries send: cursor null on the first page, and a direction", async () => {
    const { notes } = await newUser();
    const note = await notes.create({ title: "a" });
    const input = { cursor: null, limit: 10, direction: "forward" } as Parameters<typeof notes.list>[0];
    expect(await notes.list(input)).toEqual({ items: [note], nextCursor: null });
  });

  it.each([
    [{ limit: 0 }, "limit"],
    [{ limit: NOTES_PAGE_SIZE_MAX + 1 }, "limit"],
    [{ limit: 1.5 }, "limit"],
    [{ limit: "10" }, "limit"],
    [{ cursor: "not-a-cursor" }, "cursor"],
    [{ cursor: Buffer.from("123:a b").toString("base64url") }, "cursor"],
    [{ cursor: Buffer.from("later:abc").toString("base64url") }, "cursor"],
    [{ cursor: "A".repeat(500) }, "cursor"],
    [{ cursor: 42 }, "cursor"],
  ])("refuses list input %j as INVALID_INPUT naming %s", async (input, field) => {
    const { notes } = await newUser();
    const answer = await attempt(notes.list(input as Parameters<typeof notes.list>[0]));
    expect(answer.status).toBe(400);
    expect(answer.error!.data).toMatchObject({ reason: "INVALID_INPUT", action: "show" });
    expect(answer.error!.data.issues?.map((issue) => issue.path)).toEqual([field]);
  });

  it("updates only the fields given, keeps the note's place and creation time", async () => {
    const { notes } = await newUser();
    const older = await notes.create({ title: "older", body: "first body" });
    const newer = await notes.create({ title: "newer" });
    const edited = await notes.update({ id: older.id, body: "  second body \n" });
    expect(edited).toMatchObject({ id: older.id, title: "older", body: "second body", createdAt: older.createdAt });
    expect(Date.parse(edited.updatedAt)).toBeGreaterThanOrEqual(Date.parse(older.updatedAt));
    expect(await notes.update({ id: older.id, title: "renamed" })).toMatchObject({
      title: "renamed",
      body: "second body",
    });
    expect((await notes.list()).items.map((item) => item.id)).toEqual([newer.id, older.id]);
  });

  it("deletes a note; deleting it again is NOT_FOUND", async () => {
    const { notes } = await newUser();
    const note = await notes.create({ title: "short-lived" });
    expect(await notes.delete({ id: note.id })).toEqual({ id: note.id });
    expect((await notes.list()).items).toEqual([]);
    const again = await attempt(notes.delete({ id: note.id }));
    expect(again.error!.data).toMatchObject({ reason: "NOT_FOUND", code: "NOT_FOUND" });
  });

  it("answers another user's note exactly like one that does not exist, and leaves it alone", async () => {
    const owner = await newUser();
    const stranger = await newUser();
    const note = await owner.notes.create({ title: "私人", body: "secret" });
    const answers = await Promise.all([
      attempt(stranger.notes.update({ id: note.id, title: "hijacked" })),
      attempt(stranger.notes.delete({ id: note.id })),
      attempt(stranger.notes.update({ id: "cnotthereatall0000000000", title: "x" })),
      attempt(stranger.notes.delete({ id: "cnotthereatall0000000000" })),
    ]);
    for (const answer of answers) {
      expect(answer.status).toBe(404);
      expect(answer.error).toEqual(answers[0].error);
      expect(answer.error!.data).toMatchObject({ reason: "NOT_FOUND", action: "show" });
    }
    expect((await stranger.notes.list()).items).toEqual([]);
    expect((await owner.notes.list()).items).toEqual([note]);
  });

  it.each([
    ["create", { title: "" }, "title", "too_small"],
    ["create", { title: " \u3000 " }, "title", "too_small"],
    ["create", { title: "\u200b\u200b" }, "title", "control_characters"],
    ["create", { title: "a\nb" }, "title", "control_characters"],
    ["create", { title: "字".repeat(101) }, "title", "too_long"],
    ["create", { title: "e\u0301".repeat(101) }, "title", "too_long"],
    ["create", { title: "👨‍👩‍👧".repeat(101) }, "title", "too_long"],
    ["create", { title: `a${"\u0301".repeat(800)}` }, "title", "too_long"],
    ["create", { title: 42 }, "title", "invalid_type"],
    ["create", { body: "no title" }, "title", "invalid_type"],
    ["create", { title: "t", body: "bell\u0007" }, "body", "control_characters"],
    ["create", { title: "t", body: "\ud83d" }, "body", "broken_emoji"],
    ["create", { title: "t", body: "字".repeat(2001) }, "body", "too_long"],
    ["create", { title: "t", body: `a${"\u0301".repeat(16_000)}` }, "body", "too_long"],
    ["create", { title: "t", userId: "someone-else" }, "", "unrecognized_keys"],
    ["update", { id: "x" }, "", "custom"],
    ["update", { title: "t" }, "id", "invalid_type"],
    ["update", { id: "x".repeat(65), title: "t" }, "id", "too_big"],
    ["update", { id: "x", title: "" }, "title", "too_small"],
    ["delete", {}, "id", "invalid_type"],
    ["delete", { id: "" }, "id", "too_small"],
  ] as const)("%s refuses %j: %s %s", async (procedure, input, path, code) => {
    const { notes } = await newUser();
    const call = (notes[procedure] as (input: unknown) => Promise<unknown>)(input);
    const answer = await attempt(call);
    expect(answer.status).toBe(400);
    expect(answer.error!.data).toMatchObject({ reason: "INVALID_INPUT" });
    expect(answer.error!.data.issues).toContainEqual(expect.objectContaining({ path, code }));
    expect((await notes.list()).items).toEqual([]);
  });

  it("accepts the longest title and body, counted in visible characters", async () => {
    const { notes } = await newUser();
    // 100 family emoji: 100 visible characters, 800 UTF-16 units (the hard cap, reached exactly).
    const title = "👨‍👩‍👧".repeat(100);
    const body = "字\n".repeat(1000).trim();
    const note = await notes.create({ title, body });
    expect(note).toMatchObject({ title, body });
    expect((await notes.list()).items).toEqual([note]);
  });

  it(`refuses a user's note past ${NOTES_MAX_PER_USER} with QUOTA_EXCEEDED, until one is deleted`, async () => {
    const { userId, notes } = await newUser();
    await api.db.note.createMany({
      data: Array.from({ length: NOTES_MAX_PER_USER - 1 }, (_, n) => ({ userId, title: `${n}`, body: "" })),
    });
    const last = await notes.create({ title: "the last one allowed" });
    const over = await attempt(notes.create({ title: "one too many" }));
    expect(over.status).toBe(403);
    expect(over.error!.data).toMatchObject({ reason: "QUOTA_EXCEEDED", code: "FORBIDDEN", action: "show" });
    expect(await api.db.note.count({ where: { userId } })).toBe(NOTES_MAX_PER_USER);
    // Another user is not counted against this one.
    await expect((await newUser()).notes.create({ title: "mine" })).resolves.toMatchObject({ title: "mine" });
    await notes.delete({ id: last.id });
    await expect(notes.create({ title: "room again" })).resolves.toMatchObject({ title: "room again" });
  });

  it("account deletion (user.deleteAccount) erases the user's notes, and no one else's", async () => {
    const { token, userId, notes } = await newUser();
    const other = await newUser();
    await notes.create({ title: "personal data" });
    const kept = await other.notes.create({ title: "someone else's" });
    await api.caller(token).user.deleteAccount({ confirm: ACCOUNT_DELETION_CONFIRMATION });
    // The tombstone row stays; its notes do not.
    expect(await api.db.user.count({ where: { id: userId } })).toBe(1);
    expect(await api.db.note.count({ where: { userId } })).toBe(0);
    expect((await other.notes.list()).items).toEqual([kept]);
  });

  it("removing the user row itself (a hard delete) cascades to the notes", async () => {
    const { userId, notes } = await newUser();
    await notes.create({ title: "personal data" });
    await api.db.user.delete({ where: { id: userId } });
    expect(await api.db.note.count({ where: { userId } })).toBe(0);
  });

  it("needs a session", async () => {
    const answer = await attempt(api.caller().notes.list());
    expect(answer.error!.data).toMatchObject({ reason: "NO_TOKEN", code: "UNAUTHORIZED" });
  });
});
