import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, loginAs, request, startTestServer, type TestServer, type TrpcErrorBody } from "./harness.ts";

/**
 * Limits on the work one request may ask for, and requests that look valid but are not: batch
 * size, wrong methods on procedures, duplicated Authorization headers.
 */
let server: TestServer;
let token: string;
beforeAll(async () => {
  server = await startTestServer({ MAX_BATCH_SIZE: "5" });
  ({ token } = await loginAs(server));
});
afterAll(async () => server?.close());

/** A batched GET of `count` queries, the way httpBatchLink sends it. */
function batchOf(count: number, procedure = "user.me") {
  const paths = Array.from({ length: count }, () => procedure).join(",");
  const input = encodeURIComponent(JSON.stringify({}));
  return request(`${server.url}/trpc/${paths}?batch=1&input=${input}`, {
    headers: { authorization: `Bearer ${token}` },
  });
}

describe("batch size (MAX_BATCH_SIZE)", () => {
  it("serves a batch up to the cap", async () => {
    const result = await batchOf(5);
    expect(result.status).toBe(200);
    expect(JSON.parse(result.raw)).toHaveLength(5);
  });

  it("refuses a batch over the cap with 400 BATCH_TOO_LARGE, naming the cap, before any call runs", async () => {
    const linesBefore = server.logs.lines.length;
    const result = await batchOf(1000);
    expect(result.status).toBe(400);
    expect(result.error!.data).toMatchObject({
      code: "BAD_REQUEST",
      reason: "BATCH_TOO_LARGE",
      action: "show",
      retryable: false,
    });
    expect(result.error!.message).toMatch(/1000 calls.*at most 5/);
    // No procedure ran: none of the 1000 session lookups, so no "procedure" line either.
    expect(server.logs.lines.slice(linesBefore).join("\n")).not.toMatch(/procedure failed/);
  });

  it("counts unknown procedures too (each would be a lookup)", async () => {
    const result = await batchOf(6, "nope.nothing");
    expect(result.status).toBe(400);
    expect(result.error!.data.reason).toBe("BATCH_TOO_LARGE");
  });

  it("applies to batched POSTs (mutations) as well", async () => {
    const paths = Array.from({ length: 6 }, () => "auth.logout").join(",");
    const result = await request(`${server.url}/trpc/${paths}?batch=1`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: "{}",
    });
    expect(result.status).toBe(400);
    expect(result.error!.data.reason).toBe("BATCH_TOO_LARGE");
    // The session still works: nothing ran.
    expect((await call(server.url, "user.me", { type: "query", token })).status).toBe(200);
  });
});

describe("methods a procedure does not take", () => {
  it.each(["DELETE", "PUT", "PATCH"])("%s on a query is 405 METHOD_NOT_ALLOWED with Allow: GET", async (method) => {
    const result = await request(`${server.url}/trpc/user.me`, {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    });
    expect(result.status).toBe(405);
    expect(result.error!.data).toMatchObject({ reason: "METHOD_NOT_ALLOWED", code: "METHOD_NOT_SUPPORTED" });
    const response = await fetch(`${server.url}/trpc/user.me`, { method });
    await response.body?.cancel();
    expect(response.headers.get("allow")).toBe("GET");
  });

  it("DELETE on a mutation is 405 with Allow: POST; without a content type too", async () => {
    const response = await fetch(`${server.url}/trpc/auth.logout`, { method: "DELETE" });
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("POST");
    const body = (await response.json()) as { error: TrpcErrorBody };
    expect(body.error.data.reason).toBe("METHOD_NOT_ALLOWED");
  });

  it("is consistent with GET on a mutation and POST on a query", async () => {
    const getMutation = await fetch(`${server.url}/trpc/auth.logout`);
    expect(getMutation.status).toBe(405);
    expect(getMutation.headers.get("allow")).toBe("POST");
    await getMutation.body?.cancel();
    const postQuery = await fetch(`${server.url}/trpc/user.me`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(postQuery.status).toBe(405);
    expect(postQuery.headers.get("allow")).toBe("GET");
    await postQuery.body?.cancel();
  });
});

/** A request with the Authorization header sent twice (fetch would join them into one). */
function twoAuthorizations(
  path: string,
  options: { method?: string; body?: string | Buffer; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: { error?: TrpcErrorBody; result?: unknown } }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${server.url}${path}`, { method: options.method ?? "GET", headers: options.headers });
    req.setHeader("authorization", [`Bearer ${token}`, "Bearer mpa_someone-elses-token"]);
    req.on("response", (res) => {
      let raw = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (raw += chunk));
      res.on("end", () => resolve({ status: res.statusCode!, body: JSON.parse(raw) as { error?: TrpcErrorBody } }));
    });
    req.on("error", reject);
    req.end(options.body);
  });
}

describe("two Authorization headers", () => {
  it("are refused with 400 INVALID_INPUT on a query, not decided by whichever comes first", async () => {
    const result = await twoAuthorizations("/trpc/user.me");
    expect(result.status).toBe(400);
    expect(result.body.error!.data).toMatchObject({ reason: "INVALID_INPUT", code: "BAD_REQUEST" });
    expect(result.body.error!.message).toMatch(/Authorization.*once/i);
  });

  it("are refused on a mutation and on the avatar upload alike", async () => {
    const mutation = await twoAuthorizations("/trpc/user.updateProfile", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ nickname: "两个头" }),
    });
    expect(mutation.status).toBe(400);
    expect(mutation.body.error!.data.reason).toBe("INVALID_INPUT");
    const me = await call<{ nickname: string | null }>(server.url, "user.me", { type: "query", token });
    expect(me.data!.nickname).not.toBe("两个头");

    const upload = await twoAuthorizations("/trpc/user.uploadAvatar", {
      method: "POST",
      headers: { "content-type": "multipart/form-data; boundary=XyZ" },
      body: '--XyZ\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n\r\nx\r\n--XyZ--\r\n',
    });
    expect(upload.status).toBe(400);
    expect(upload.body.error!.data.reason).toBe("INVALID_INPUT");
  });
});
