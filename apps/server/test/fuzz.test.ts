import { appRouter } from "@mp-auth/api";
import { createDatabase } from "@mp-auth/db";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loginAs, startTestServer, type TestServer } from "./harness.ts";
import { expectEnvelope } from "./support/raw-http.ts";

/**
 * Property-based fuzzing of every procedure (taken from the router, so a new one is fuzzed without
 * editing this file) and every HTTP route: arbitrary JSON and non-JSON input, with and without a
 * valid session, by GET and by POST. Never a 5xx, every error in the envelope with a reason from
 * the contract's table, and nothing stored when a call is refused. fast-check prints the seed and
 * the shrunk counterexample of a failure; rerun it with `fc.assert(..., { seed, path })`.
 */

const RUNS_PER_PROCEDURE = 25;
const RUNS_PER_ROUTE = 40;

let server: TestServer;
let db: Awaited<ReturnType<typeof createDatabase>>;
let session: { token: string; userId: string };

beforeAll(async () => {
  server = await startTestServer();
  db = await createDatabase(server.databaseUrl);
  const login = await loginAs(server);
  session = { token: login.token, userId: login.user.id };
});
afterAll(async () => {
  await db?.$disconnect();
  await server?.close();
});

// At run time tRPC keeps every procedure in one flat record keyed by its dotted path.
const procedures = Object.entries(
  appRouter._def.procedures as unknown as Record<string, { _def: { type: string } }>,
).map(([path, procedure]) => ({ path, type: procedure._def.type }));

it("fuzzes every procedure of the router", () => {
  expect(procedures.map(({ path }) => path)).toEqual(
    expect.arrayContaining(["auth.login", "user.me", "user.uploadAvatar"]),
  );
  expect(new Set(procedures.map(({ type }) => type))).toEqual(new Set(["query", "mutation"]));
});

/** Row counts of every table, and the signed-in user's row: what a refused call must leave alone. */
interface StoredState {
  counts: Record<string, number>;
  user: unknown;
}

async function storedState(): Promise<StoredState> {
  const tables = await db.$queryRawUnsafe<{ name: string }[]>(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name != '_prisma_migrations' ORDER BY name",
  );
  const counts: Record<string, number> = {};
  for (const { name } of tables) {
    const [row] = await db.$queryRawUnsafe<{ count: bigint }[]>(`SELECT COUNT(*) AS count FROM "${name}"`);
    counts[name] = Number(row!.count);
  }
  const user = await db.user.findUnique({ where: { id: session.userId } });
  return { counts, user };
}

/** The newest login-history row holds none of the code the refused call sent. */
async function expectNoCodeInLatestAttempt(input: unknown): Promise<void> {
  const code = (input as { code?: unknown } | null)?.code;
  const latest = await db.loginAttempt.findFirst({ orderBy: { createdAt: "desc" } });
  expect(latest).not.toBeNull();
  // Short codes ("!", "a") occur in any text by chance; a code of 8+ characters cannot hide there.
  if (typeof code === "string" && code.length >= 8) expect(JSON.stringify(latest)).not.toContain(code);
}

/** Input names the procedures read, so generated objects sometimes get past the first check. */
const INPUT_KEYS = [
  "code",
  "nickname",
  "avatarUrl",
  "encryptedData",
  "iv",
  "id",
  "file",
  "phoneNumber",
  "title",
  "body",
  "cursor",
  "limit",
  "0",
  "json",
];

const arbitraryInput = fc.oneof(
  fc.jsonValue(),
  fc.dictionary(fc.constantFrom(...INPUT_KEYS), fc.oneof(fc.string(), fc.jsonValue()), { maxKeys: 4 }),
  fc.record({ code: fc.string({ maxLength: 64 }) }),
  fc.record({ nickname: fc.oneof(fc.string(), fc.constant(null)) }, { requiredKeys: [] }),
);

/** `json`: the input encoded as JSON; `raw`: any text sent as is (often not JSON at all). */
const arbitraryCall = fc.record({
  payload: fc.oneof(
    arbitraryInput.map((value) => ({ encoding: "json" as const, value })),
    fc.string({ unit: "binary", maxLength: 200 }).map((value) => ({ encoding: "raw" as const, value })),
  ),
  signedIn: fc.boolean(),
  method: fc.constantFrom("GET", "POST"),
});

interface Answer {
  status: number;
  body: unknown;
}

async function send(target: string, method: string, init: { body?: string; token?: string } = {}): Promise<Answer> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  const response = await fetch(`${server.url}${target}`, {
    method,
    headers,
    ...(init.body === undefined ? {} : { body: init.body }),
  });
  const text = await response.text();
  expect(response.status, text).toBeLessThan(500);
  if (response.status >= 400) expect(response.headers.get("content-type"), text).toMatch(/^application\/json/);
  return { status: response.status, body: text === "" ? undefined : (JSON.parse(text) as unknown) };
}

describe.each(procedures)("procedure $path ($type)", ({ path }) => {
  it("answers any input cleanly and stores nothing when it refuses", async () => {
    await fc.assert(
      fc.asyncProperty(arbitraryCall, async ({ payload, signedIn, method }) => {
        const text = payload.encoding === "json" ? JSON.stringify(payload.value) : payload.value;
        const before = await storedState();
        const answer =
          method === "GET"
            ? await send(`/trpc/${path}?input=${encodeURIComponent(text)}`, "GET", {
                ...(signedIn ? { token: session.token } : {}),
              })
            : await send(`/trpc/${path}`, "POST", { body: text, ...(signedIn ? { token: session.token } : {}) });
        if (answer.status >= 400) {
          expectEnvelope(answer.body, answer.status);
          const after = await storedState();
          if (path === "auth.login") {
            // A refused login is recorded in the login history, once, and nothing else is written.
            const recorded = (after.counts.LoginAttempt ?? 0) - (before.counts.LoginAttempt ?? 0);
            expect(recorded).toBeLessThanOrEqual(1);
            if (recorded === 1) await expectNoCodeInLatestAttempt(payload.value);
            after.counts.LoginAttempt = before.counts.LoginAttempt ?? 0;
          }
          expect(after).toEqual(before);
        } else if (path.startsWith("auth.")) {
          // A call that ended the session (logout, logoutAll): the next runs need a fresh one.
          const login = await loginAs(server);
          session = { token: login.token, userId: login.user.id };
        }
      }),
      { numRuns: RUNS_PER_PROCEDURE },
    );
  });
});

describe("HTTP routes", () => {
  const pathSegment = fc.string({ unit: "grapheme-ascii", maxLength: 40 }).map(encodeURIComponent);
  const target = fc.oneof(
    pathSegment.map((segment) => `/healthz?${segment}`),
    pathSegment.map((segment) => `/uploads/avatars/${segment}`),
    pathSegment.map((segment) => `/trpc/${segment}`),
    pathSegment.map((segment) => `/${segment}`),
    fc.constantFrom("/healthz", "/uploads/avatar", "/trpc", "/"),
  );
  it("answers any path and method cleanly", async () => {
    await fc.assert(
      fc.asyncProperty(
        target,
        fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"),
        fc.option(fc.string({ maxLength: 100 }), { nil: undefined }),
        fc.boolean(),
        async (path, method, body, signedIn) => {
          const before = await storedState();
          const answer = await send(path, method, {
            ...(body === undefined || method === "GET" ? {} : { body }),
            ...(signedIn ? { token: session.token } : {}),
          });
          if (answer.status >= 400) {
            expectEnvelope(answer.body, answer.status);
            expect(await storedState()).toEqual(before);
          }
        },
      ),
      { numRuns: RUNS_PER_ROUTE },
    );
  });

  it("the server still serves an ordinary request afterwards", async () => {
    const answer = await send("/trpc/user.me", "GET", { token: (await loginAs(server)).token });
    expect(answer.status).toBe(200);
  });
});
