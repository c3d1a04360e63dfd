import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, loginAs, request, startTestServer, type TestServer, serverTestEngines } from "./harness.ts";

interface Note {
  id: string;
  title: string;
  body: string;
  createdAt: string;
  updatedAt: string;
}
interface NotePage {
  items: Note[];
  nextCursor: string | null;
}

// The rules of notes.* are tested at the api (packages/api/test/notes.test.ts); here, what only HTTP
// shows: queries by GET with the cursor in the query string, mutations by POST, the status codes
// and error envelopes a mini-program receives, and batching as the Taro link sends it.
describe.each(await serverTestEngines())("notes over HTTP on %s", (engine) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({}, { engine });
  });
  afterAll(async () => server?.close());

  const list = (token: string, input?: { cursor?: string | null; limit?: number }) =>
    call<NotePage>(server.url, "notes.list", { type: "query", token, ...(input ? { input } : {}) });

  it("creates, pages by GET with the cursor, updates and deletes, with ISO timestamps on the wire", async () => {
    const { token } = await loginAs(server);
    const created: Note[] = [];
    for (const title of ["一", "二", "三", "四", "五"]) {
      const answer = await call<Note>(server.url, "notes.create", { token, input: { title, body: `${title}\n内容` } });
      expect(answer.status).toBe(200);
      created.push(answer.data!);
    }
    expect(created[0]!.createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);

    const seen: Note[] = [];
    let cursor: string | null = null;
    do {
      const page: Awaited<ReturnType<typeof list>> = await list(token, { cursor, limit: 2 });
      expect(page.status).toBe(200);
      seen.push(...page.data!.items);
      cursor = page.data!.nextCursor;
      // Opaque and URL-safe: it travels in ?input= as it is.
      if (cursor) expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    } while (cursor);
    expect(seen.map((note) => note.title)).toEqual(["五", "四", "三", "二", "一"]);

    const updated = await call<Note>(server.url, "notes.update", {
      token,
      input: { id: created[0]!.id, title: "改过" },
    });
    expect(updated.data).toMatchObject({ id: created[0]!.id, title: "改过", body: "一\n内容" });
    const deleted = await call(server.url, "notes.delete", { token, input: { id: created[1]!.id } });
    expect(deleted.data).toEqual({ id: created[1]!.id });
    expect((await list(token)).data!.items.map((note) => note.title)).toEqual(["五", "四", "三", "改过"]);
  });

  it("answers another user's note 404 NOT_FOUND, the same bytes as a note that does not exist", async () => {
    const owner = await loginAs(server);
    const stranger = await loginAs(server);
    const note = (await call<Note>(server.url, "notes.create", { token: owner.token, input: { title: "私人" } })).data!;
    const theirs = await call(server.url, "notes.delete", { token: stranger.token, input: { id: note.id } });
    const none = await call(server.url, "notes.delete", {
      token: stranger.token,
      input: { id: "c0000000000000000000000" },
    });
    expect(theirs.status).toBe(404);
    expect(theirs.error!.data).toMatchObject({ code: "NOT_FOUND", reason: "NOT_FOUND", action: "show" });
    expect(theirs.raw).toBe(none.raw);
    expect((await list(owner.token)).data!.items).toEqual([note]);
  });

  it("refuses bad input with 400 INVALID_INPUT and the fields at fault", async () => {
    const { token } = await loginAs(server);
    const title = await call(server.url, "notes.create", { token, input: { title: "a\nb" } });
    expect(title.status).toBe(400);
    expect(title.error!.data).toMatchObject({ reason: "INVALID_INPUT", action: "show" });
    expect(title.error!.data.issues).toEqual([expect.objectContaining({ path: "title", code: "control_characters" })]);
    const cursor = await list(token, { cursor: "forged" });
    expect(cursor.status).toBe(400);
    expect(cursor.error!.data.issues).toEqual([expect.objectContaining({ path: "cursor" })]);
    // No stack, no SQL, whatever the input.
    expect(title.error!.data.stack).toBeUndefined();
    expect(cursor.raw).not.toMatch(/prisma|select|Note"/i);
  });

  it("needs a session (401, relogin) and the right method (a query by POST is 405)", async () => {
    const anonymous = await call(server.url, "notes.list", { type: "query" });
    expect(anonymous.status).toBe(401);
    expect(anonymous.error!.data).toMatchObject({ reason: "NO_TOKEN", action: "relogin" });
    const { token } = await loginAs(server);
    const byPost = await call(server.url, "notes.list", { token, input: {} });
    expect(byPost.status).toBe(405);
  });

  it("serves a batch of creates as the Taro link sends it, each call answered on its own", async () => {
    const { token } = await loginAs(server);
    const answer = await request<unknown>(`${server.url}/trpc/notes.create,notes.create?batch=1`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ 0: { title: "甲" }, 1: { title: "" } }),
    });
    // One good call, one refused: the refusal does not undo the other.
    const parts = JSON.parse(answer.raw) as ({ result: { data: Note } } | { error: { data: { reason: string } } })[];
    expect(parts).toHaveLength(2);
    expect(parts[0]).toMatchObject({ result: { data: { title: "甲" } } });
    expect(parts[1]).toMatchObject({ error: { data: { reason: "INVALID_INPUT" } } });
    expect((await list(token)).data!.items.map((note) => note.title)).toEqual(["甲"]);
  });
});
