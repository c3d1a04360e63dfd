import http from "node:http";
import type { AppRouter } from "@mp-auth/api";
import { createTRPCClient, httpBatchLink, httpLink, TRPCClientError, type TRPCLink } from "@trpc/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loginAs, startTestServer, tempDatabaseUrl, type TestServer } from "./harness.ts";

/**
 * One protocol suite, two paths: the lean tRPC path (src/trpc-fast-path.ts, the default) and tRPC's
 * stock standalone handler (trpcPath "stock"). Both servers share one SQLite file, so one token
 * works on both and every answer can be compared byte for byte: status, the headers a client reads
 * (content-type, vary, allow, CORS), and the body. The only allowed difference is framing: the
 * lean path sends content-length, the stock handler a chunked body, which also shows which path
 * answered.
 */

let fast: TestServer;
let stock: TestServer;
let token: string;

beforeAll(async () => {
  const databaseUrl = tempDatabaseUrl();
  const env = { DATABASE_URL: databaseUrl, CORS_ORIGINS: "https://h5.example.com" };
  fast = await startTestServer(env);
  stock = await startTestServer(env, { trpcPath: "stock" });
  ({ token } = await loginAs(fast, "protocol-user"));
}, 60_000);

afterAll(async () => {
  await fast?.close();
  await stock?.close();
});

interface RawAnswer {
  status: number;
  headers: Record<string, string | undefined>;
  framing: "content-length" | "chunked" | "none";
  body: Buffer;
}

interface RawRequest {
  method?: string;
  path: string;
  /** Pairs, so a header can be sent twice. */
  headers?: [string, string][];
  body?: string | Buffer;
}

/** Headers a client acts on; Date, Connection and Keep-Alive differ by nature. */
const COMPARED_HEADERS = [
  "content-type",
  "vary",
  "allow",
  "cache-control",
  "access-control-allow-origin",
  "access-control-allow-credentials",
  "access-control-allow-methods",
  "access-control-allow-headers",
  "access-control-max-age",
  "retry-after",
];

function send(server: TestServer, request: RawRequest): Promise<RawAnswer> {
  const url = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: url.hostname,
      port: url.port,
      method: request.method ?? "GET",
      path: request.path,
      // As raw pairs (so a header can repeat); Node then adds no Host of its own.
      headers: [["host", url.host], ...(request.headers ?? [])].flat(),
    });
    req.on("error", reject);
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("error", reject);
      res.on("end", () => {
        const headers: Record<string, string | undefined> = {};
        for (const name of COMPARED_HEADERS) {
          const value = res.headers[name];
          headers[name] = Array.isArray(value) ? value.join(", ") : value;
        }
        resolve({
          status: res.statusCode ?? 0,
          headers,
          framing:
            res.headers["transfer-encoding"] === "chunked"
              ? "chunked"
              : res.headers["content-length"] !== undefined
                ? "content-length"
                : "none",
          body: Buffer.concat(chunks),
        });
      });
    });
    req.end(request.body);
  });
}

/**
 * Sends the same request to both servers (stock first, so a state change by the call is seen the
 * same way by both) and requires identical answers. `path` says which path the lean server must
 * have used: "fast" (content-length) or "stock" (handed over, chunked like the stock server).
 */
async function compare(request: RawRequest, path: "fast" | "stock" | "either" = "fast"): Promise<RawAnswer> {
  const fromStock = await send(stock, request);
  const fromFast = await send(fast, request);
  expect({ status: fromFast.status, headers: fromFast.headers, body: fromFast.body.toString("utf8") }).toEqual({
    status: fromStock.status,
    headers: fromStock.headers,
    body: fromStock.body.toString("utf8"),
  });
  expect(fromFast.body.equals(fromStock.body)).toBe(true);
  if (path === "fast") expect(fromFast.framing).toBe("content-length");
  if (path === "stock") expect(fromFast.framing).toBe(fromStock.framing);
  return fromFast;
}

const json: [string, string] = ["content-type", "application/json"];
const bearer = (): [string, string] => ["authorization", `Bearer ${token}`];
const input = (value: unknown) => encodeURIComponent(JSON.stringify(value));

function errorOf(answer: RawAnswer): { code: number; message: string; data: { reason: string; httpStatus: number } } {
  return (JSON.parse(answer.body.toString("utf8")) as { error: never }).error;
}

describe("single calls over raw HTTP", () => {
  it("a query with a token, and the same with an Origin (CORS headers, vary overwritten as tRPC does)", async () => {
    const answer = await compare({ path: "/trpc/user.me", headers: [bearer()] });
    expect(answer.status).toBe(200);
    expect(answer.headers["content-type"]).toBe("application/json");
    expect(answer.headers.vary).toBe("trpc-accept, accept");
    const withOrigin = await compare({
      path: "/trpc/user.me",
      headers: [bearer(), ["origin", "https://h5.example.com"]],
    });
    expect(withOrigin.headers["access-control-allow-origin"]).toBe("https://h5.example.com");
  });

  it("refusals of the token: missing, malformed, unknown", async () => {
    expect(errorOf(await compare({ path: "/trpc/user.me" })).data.reason).toBe("NO_TOKEN");
    expect(
      errorOf(await compare({ path: "/trpc/user.me", headers: [["authorization", "Bearer x"]] })).data.reason,
    ).toBe("MALFORMED_TOKEN");
    const unknown = await compare({
      path: "/trpc/user.me",
      headers: [["authorization", `Bearer mpa_${"A".repeat(43)}`]],
    });
    expect(unknown.status).toBe(401);
    expect(errorOf(unknown).data.reason).toBe("UNKNOWN_TOKEN");
  });

  it("a query with input, an empty input, and input that is not JSON", async () => {
    await compare({ path: `/trpc/auth.sessions?input=${input({})}`, headers: [bearer()] });
    await compare({ path: "/trpc/auth.sessions?input=", headers: [bearer()] });
    const bad = await compare({ path: "/trpc/auth.sessions?input=%7Bnope", headers: [bearer()] });
    expect(bad.status).toBe(200); // auth.sessions takes no input: tRPC never parses it
    const parsed = await compare({
      path: "/trpc/auth.revoke?input=%7Bnope",
      method: "POST",
      headers: [json, bearer()],
    });
    expect(parsed.status).toBe(400);
  });

  it("mutations: valid input, invalid input, malformed JSON, empty body, a BOM, a charset", async () => {
    const body = JSON.stringify({ nickname: "协议 test" });
    const ok = await compare({ method: "POST", path: "/trpc/user.updateProfile", headers: [json, bearer()], body });
    expect(ok.status).toBe(200);
    const invalid = await compare({
      method: "POST",
      path: "/trpc/user.updateProfile",
      headers: [json, bearer()],
      body: JSON.stringify({ nickname: 42 }),
    });
    expect(errorOf(invalid).data.reason).toBe("INVALID_INPUT");
    const malformed = await compare({ method: "POST", path: "/trpc/auth.login", headers: [json], body: "{nope" });
    expect(malformed.status).toBe(400);
    expect(errorOf(malformed).message).toBe("The request body is not valid JSON.");
    await compare({ method: "POST", path: "/trpc/auth.login", headers: [json] });
    await compare({ method: "POST", path: "/trpc/auth.login", headers: [json], body: "" });
    await compare({ method: "POST", path: "/trpc/auth.login", headers: [json], body: "null" });
    await compare({
      method: "POST",
      path: "/trpc/user.updateProfile",
      headers: [["content-type", "Application/JSON; charset=utf-8"], bearer()],
      body: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(body)]),
    });
    await compare({
      method: "POST",
      path: "/trpc/user.updateProfile",
      headers: [json, bearer()],
      body: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]),
    });
  });

  it("unknown procedures, including names every object has", async () => {
    for (const name of [
      "nope",
      "user",
      "user.nope",
      "toString",
      "__proto__",
      "constructor",
      "user.me.x",
      "auth..login",
    ]) {
      const answer = await compare({ path: `/trpc/${name}`, headers: [bearer()] });
      expect(answer.status).toBe(404);
      await compare({ method: "POST", path: `/trpc/${name}`, headers: [json, bearer()], body: "{}" });
    }
  });

  it("a query called with POST and a mutation with GET: 405 with tRPC's Allow", async () => {
    const post = await compare({ method: "POST", path: "/trpc/user.me", headers: [json, bearer()], body: "{}" });
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe("GET");
    const get = await compare({ path: "/trpc/auth.logoutAll", headers: [bearer()] });
    expect(get.status).toBe(405);
    expect(get.headers.allow).toBe("POST");
  });

  it("paths as tRPC decodes them: escapes, bad escapes, slashes", async () => {
    await compare({ path: "/trpc/user%2Eme", headers: [bearer()] });
    await compare({ path: "/trpc/user.me%2F", headers: [bearer()] });
    await compare({ path: "/trpc/%E0%A4%A", headers: [bearer()] }, "either");
    await compare({ path: "/trpc/user.me/", headers: [bearer()] }, "stock");
    await compare({ path: "/trpc//user.me", headers: [bearer()] }, "stock");
    await compare({ path: "/trpc", headers: [bearer()] }, "stock");
    await compare({ path: "/trpc/", headers: [bearer()] }, "either");
  });

  it("bodies over the 64 KB limit: 413 once the input is read, the auth refusal first when it is not", async () => {
    const huge = JSON.stringify({ code: "x".repeat(70 * 1024) });
    const tooLarge = await compare({ method: "POST", path: "/trpc/auth.login", headers: [json], body: huge });
    expect(tooLarge.status).toBe(413);
    const unauthorized = await compare({
      method: "POST",
      path: "/trpc/user.updateProfile",
      headers: [json],
      body: huge,
    });
    expect(unauthorized.status).toBe(401);
  });
});

describe("content types and methods the lean path hands to the stock handler", () => {
  it("text/plain, no content type, octet-stream, multipart on a JSON procedure", async () => {
    const plain = await compare(
      { method: "POST", path: "/trpc/auth.login", headers: [["content-type", "text/plain"]], body: "{}" },
      "stock",
    );
    // tRPC's UNSUPPORTED_MEDIA_TYPE, in the contract's taxonomy: INVALID_INPUT, 400.
    expect(plain.status).toBe(400);
    expect(errorOf(plain).message).toMatch(/Content-Type: application\/json/);
    await compare({ method: "POST", path: "/trpc/auth.login", body: "{}" }, "stock");
    await compare(
      { method: "POST", path: "/trpc/auth.login", headers: [["content-type", "application/octet-stream"]], body: "{}" },
      "stock",
    );
    await compare({ path: "/trpc/user.me", headers: [bearer(), ["content-type", "text/plain"]] }, "stock");
    await compare(
      {
        method: "POST",
        path: "/trpc/auth.login",
        headers: [["content-type", "multipart/form-data; boundary=x"]],
        body: "--x--",
      },
      "stock",
    );
  });

  it("HEAD, OPTIONS (CORS preflight), and methods procedures never take", async () => {
    const head = await compare({ method: "HEAD", path: "/trpc/user.me", headers: [bearer()] }, "either");
    expect(head.status).toBe(204);
    const preflight = await compare(
      {
        method: "OPTIONS",
        path: "/trpc/user.me",
        headers: [
          ["origin", "https://h5.example.com"],
          ["access-control-request-method", "GET"],
        ],
      },
      "either",
    );
    expect(preflight.status).toBe(204);
    const put = await compare({ method: "PUT", path: "/trpc/user.me", headers: [bearer()] }, "either");
    expect(put.status).toBe(405);
    expect(put.headers.allow).toBe("GET");
  });

  it("streaming requests (trpc-accept: application/jsonl) and connectionParams", async () => {
    const streamed = await compare(
      { path: "/trpc/user.me,auth.sessions?batch=1", headers: [bearer(), ["trpc-accept", "application/jsonl"]] },
      "stock",
    );
    expect(streamed.status).toBe(200);
    await compare({ path: "/trpc/user.me?connectionParams=%7B%7D", headers: [bearer()] }, "stock");
    await compare({ path: "/trpc/user.me?connectionParams=nope", headers: [bearer()] }, "stock");
  });

  it("the server's own refusals apply on both paths: duplicate Authorization, oversized batch", async () => {
    const twice = await compare({ path: "/trpc/user.me", headers: [bearer(), bearer()] }, "either");
    expect(twice.status).toBe(400);
    const many = Array.from({ length: 11 }, () => "user.me").join(",");
    const batch = await compare({ path: `/trpc/${many}?batch=1`, headers: [bearer()] }, "either");
    expect(errorOf(batch).data.reason).toBe("BATCH_TOO_LARGE");
  });
});

describe("batches over raw HTTP", () => {
  it("all successes, mixed success and error (207), all errors", async () => {
    const ok = await compare({ path: `/trpc/user.me,auth.sessions?batch=1&input=${input({})}`, headers: [bearer()] });
    expect(ok.status).toBe(200);
    const mixed = await compare({ path: "/trpc/user.me,nope?batch=1", headers: [bearer()] });
    expect(mixed.status).toBe(207);
    const failed = await compare({ path: "/trpc/user.me,auth.sessions?batch=1" });
    expect(failed.status).toBe(401);
    const different = await compare({ path: "/trpc/user.me,nope?batch=1" });
    expect(different.status).toBe(207);
  });

  it("inputs by index, sparse inputs, inputs that are not an object, malformed inputs", async () => {
    await compare({
      method: "POST",
      path: "/trpc/user.updateProfile,user.updateProfile?batch=1",
      headers: [json, bearer()],
      body: JSON.stringify({ 0: { nickname: "一" }, 1: { nickname: 7 } }),
    });
    await compare({
      method: "POST",
      path: "/trpc/user.updateProfile,user.updateProfile?batch=1",
      headers: [json, bearer()],
      body: JSON.stringify({ 1: { nickname: "二" } }),
    });
    const array = await compare({
      method: "POST",
      path: "/trpc/user.updateProfile?batch=1",
      headers: [json, bearer()],
      body: "[1]",
    });
    expect(array.status).toBe(400);
    await compare({ path: `/trpc/user.me,auth.sessions?batch=1&input=${input([{}])}`, headers: [bearer()] });
    await compare({ path: "/trpc/user.me,auth.sessions?batch=1&input=%5B", headers: [bearer()] });
    await compare({ method: "POST", path: "/trpc/auth.login,auth.login?batch=1", headers: [json], body: "{nope" });
  });

  it("queries and mutations mixed in one batch, and a batch of one", async () => {
    const mixedTypes = await compare({ path: "/trpc/user.me,auth.logout?batch=1", headers: [bearer()] });
    expect(mixedTypes.status).toBe(400);
    // Refused before tRPC chooses a content type; the server labels the JSON envelope as JSON.
    expect(mixedTypes.headers["content-type"]).toBe("application/json");
    await compare({ method: "POST", path: "/trpc/user.me,auth.logout?batch=1", headers: [json, bearer()], body: "{}" });
    await compare({ path: "/trpc/user.me?batch=1", headers: [bearer()] });
    await compare({ path: "/trpc/user.me?batch=0", headers: [bearer()] });
  });
});

describe("through @trpc/client", () => {
  const clients = (
    server: TestServer,
    link: (opts: { url: string; headers: () => Record<string, string> }) => TRPCLink<AppRouter>,
  ) =>
    createTRPCClient<AppRouter>({
      links: [link({ url: server.trpcUrl, headers: () => ({ authorization: `Bearer ${token}` }) })],
    });

  async function outcome<T>(promise: Promise<T>): Promise<unknown> {
    try {
      return { data: await promise };
    } catch (error) {
      if (!(error instanceof TRPCClientError)) throw error;
      return { message: error.message, shape: error.shape as unknown, data: error.data as unknown };
    }
  }

  for (const [name, link] of [
    ["httpBatchLink", (opts: { url: string; headers: () => Record<string, string> }) => httpBatchLink<AppRouter>(opts)],
    ["httpLink", (opts: { url: string; headers: () => Record<string, string> }) => httpLink<AppRouter>(opts)],
  ] as const) {
    it(`${name}: the same results and the same errors from both paths`, async () => {
      const run = async (server: TestServer) => {
        const client = clients(server, link);
        // The shared user starts each run in the same state; queries batch together, as do mutations.
        await client.user.updateProfile.mutate({ nickname: "重置" });
        const queries = await Promise.all([
          outcome(client.user.me.query()),
          outcome(client.auth.sessions.query()),
          outcome(client.user.me.query()),
        ]);
        const mutations = await Promise.all([
          outcome(client.user.updateProfile.mutate({ nickname: "" })),
          outcome(client.auth.revoke.mutate({ id: "nope" })),
          outcome(client.user.updateProfile.mutate({ nickname: "客户端" })),
        ]);
        return [...queries, ...mutations];
      };
      const fromStock = await run(stock);
      const fromFast = await run(fast);
      expect(fromFast).toEqual(fromStock);
      expect(fromFast[0]).toMatchObject({ data: { nickname: expect.any(String) } });
      expect(fromFast[5]).toMatchObject({ data: { nickname: "客户端" } });
      expect(fromFast[3]).toMatchObject({ data: { reason: "INVALID_INPUT", httpStatus: 400 } });
    });
  }

  it("a refused token is a TRPCClientError with the same data on both paths", async () => {
    const refused = (server: TestServer) =>
      outcome(
        createTRPCClient<AppRouter>({
          links: [httpBatchLink({ url: server.trpcUrl, headers: { authorization: "Bearer nope" } })],
        }).user.me.query(),
      );
    const fromFast = await refused(fast);
    expect(fromFast).toEqual(await refused(stock));
    expect(fromFast).toMatchObject({ data: { reason: "MALFORMED_TOKEN", httpStatus: 401 } });
  });
});
