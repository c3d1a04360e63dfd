import { createTRPCUntypedClient, TRPCClientError } from "@trpc/client";
import type { AnyRouter } from "@trpc/server/unstable-core-do-not-import";
import { describe, expect, it, vi } from "vitest";
import { taroFetch } from "../src/taro-fetch.ts";
import { TaroRequestError } from "../src/taro-request-error.ts";
import { taroRequestLink, type TaroRequestLinkOptions } from "../src/taro-request-link.ts";
import { FakeTaro, type RecordedRequest } from "./support/fake-taro.ts";
import { answerLikeTrpc, FakeAuthServer } from "./support/fake-trpc-server.ts";

const URL_BASE = "http://127.0.0.1:3000/trpc";

function setup(taro = new FakeTaro(), options: Partial<TaroRequestLinkOptions> = {}) {
  const client = createTRPCUntypedClient<AnyRouter>({
    links: [taroRequestLink({ url: URL_BASE, taro, ...options })],
  });
  return { taro, client };
}

async function nextRequest(taro: FakeTaro, index = 0): Promise<RecordedRequest> {
  await vi.waitFor(() => expect(taro.requests.length).toBeGreaterThan(index), { interval: 1 });
  return taro.requests[index]!;
}

function causeOf(error: unknown): TaroRequestError {
  expect(error).toBeInstanceOf(TRPCClientError);
  const cause = (error as TRPCClientError<AnyRouter>).cause;
  expect(cause).toBeInstanceOf(TaroRequestError);
  return cause as TaroRequestError;
}

describe("taroRequestLink requests", () => {
  it("sends a query as a GET without data, asking for text", async () => {
    const { taro, client } = setup();
    const call = client.query("user.byId", { id: "u 1" });
    const request = await nextRequest(taro);

    expect(request.options.method).toBe("GET");
    expect("data" in request.options).toBe(false);
    expect(request.options.dataType).toBe("text");
    expect(request.options.responseType).toBe("text");
    expect(request.options.url).toBe(
      `${URL_BASE}/user.byId?batch=1&input=${encodeURIComponent(JSON.stringify({ 0: { id: "u 1" } }))}`,
    );
    expect(Object.keys(request.options.header).map((name) => name.toLowerCase())).not.toContain("content-type");

    request.respond(200, JSON.stringify([{ result: { data: { id: "u 1" } } }]));
    await expect(call).resolves.toEqual({ id: "u 1" });
  });

  it("sends a mutation as a POST with a JSON string body", async () => {
    const { taro, client } = setup();
    const call = client.mutation("auth.login", { code: "abc" });
    const request = await nextRequest(taro);
    expect(request.options.method).toBe("POST");
    expect(request.options.data).toBe(JSON.stringify({ 0: { code: "abc" } }));
    expect(request.options.header["content-type"]).toBe("application/json");
    request.respond(200, JSON.stringify([{ result: { data: { token: "t" } } }]));
    await expect(call).resolves.toEqual({ token: "t" });
  });

  it("batches calls made in the same tick into one request", async () => {
    const server = new FakeAuthServer();
    server.validTokens.add("t");
    const taro = new FakeTaro({ respond: server.respond });
    const { client } = setup(taro, { headers: { Authorization: "Bearer t" } });
    const results = await Promise.all([
      client.query("user.me"),
      client.query("user.echo", 1),
      client.query("user.echo", 2),
    ]);
    expect(results).toEqual([{ id: "u1", nickname: "Tester", avatarUrl: null }, 1, 2]);
    expect(taro.requests).toHaveLength(1);
    expect(taro.requests[0]!.options.url).toContain("/user.me,user.echo,user.echo?batch=1");
  });

  it("passes headers through and reports a tRPC error response as a TRPCClientError with its data", async () => {
    const { taro, client } = setup(undefined, { headers: { "x-app-version": "1.2.3" } });
    const call = client.query("user.me");
    const request = await nextRequest(taro);
    expect(request.options.header["x-app-version"]).toBe("1.2.3");
    request.respond(
      401,
      JSON.stringify([
        {
          error: {
            message: "expired",
            code: -32001,
            data: { code: "UNAUTHORIZED", httpStatus: 401, reason: "EXPIRED" },
          },
        },
      ]),
    );
    const error = await call.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TRPCClientError);
    expect((error as TRPCClientError<AnyRouter>).data).toMatchObject({ code: "UNAUTHORIZED", reason: "EXPIRED" });
  });
});

describe("taroRequestLink failures", () => {
  it("turns a gateway HTML 502 page into a clear TRPCClientError", async () => {
    const { taro, client } = setup();
    const call = client.query("user.me");
    const request = await nextRequest(taro);
    request.respond(502, "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>", {
      "Content-Type": "text/html",
    });
    const error = await call.catch((caught: unknown) => caught);
    const cause = causeOf(error);
    expect(cause.kind).toBe("bad_response");
    expect(cause.status).toBe(502);
    expect((error as Error).message).toBe(
      `HTTP 502 from GET ${URL_BASE}/user.me?batch=1&input=%7B%7D is not JSON (text/html): <html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>`,
    );
  });

  it("turns JSON that is not a tRPC response into a clear error too", async () => {
    const { taro, client } = setup();
    const call = client.query("user.me");
    (await nextRequest(taro)).respond(503, JSON.stringify({ message: "upstream unavailable" }));
    const cause = causeOf(await call.catch((caught: unknown) => caught));
    expect(cause.kind).toBe("bad_response");
    expect(cause.message).toMatch(
      /^HTTP 503 .* is not a tRPC response \(application\/json\): \{"message":"upstream unavailable"\}$/,
    );
  });

  it('accepts a body the platform already parsed despite dataType "text"', async () => {
    const { taro, client } = setup();
    const call = client.query("user.me");
    (await nextRequest(taro)).respond(200, [{ result: { data: "parsed" } }]);
    await expect(call).resolves.toBe("parsed");
  });

  it("turns a network failure (fail callback) into a clear error", async () => {
    const { taro, client } = setup();
    const call = client.mutation("auth.logout");
    (await nextRequest(taro)).fail("request:fail net::ERR_INTERNET_DISCONNECTED");
    const error = await call.catch((caught: unknown) => caught);
    expect(causeOf(error).kind).toBe("network");
    expect((error as Error).message).toBe(
      `Request failed (request:fail net::ERR_INTERNET_DISCONNECTED): POST ${URL_BASE}/auth.logout?batch=1`,
    );
  });

  it("times out a request that never answers, and aborts its RequestTask", async () => {
    const { taro, client } = setup(undefined, { timeoutMs: 30 });
    const outcome = client.query("user.me").catch((caught: unknown) => caught);
    const request = await nextRequest(taro);
    expect(request.options.timeout).toBe(1030); // the platform's own timeout is only a backstop
    const error = await outcome;
    const cause = causeOf(error);
    expect(cause.kind).toBe("timeout");
    expect(cause.message).toMatch(/^Timed out after 30 ms: GET /);
    expect(request.abortCalls).toBe(1);
  });

  it("classifies WeChat's own timeout failure as a timeout", async () => {
    const { taro, client } = setup();
    const call = client.query("user.me");
    (await nextRequest(taro)).fail("request:fail timeout");
    expect(causeOf(await call.catch((caught: unknown) => caught)).kind).toBe("timeout");
  });

  it("aborting a call aborts its RequestTask", async () => {
    const { taro, client } = setup();
    const controller = new AbortController();
    const call = client.query("user.me", undefined, { signal: controller.signal });
    const request = await nextRequest(taro);
    controller.abort();
    await expect(call).rejects.toThrow(TRPCClientError);
    expect(request.abortCalls).toBe(1);
  });

  it("ignores the rejection of a Taro-style promise (no unhandled rejection)", async () => {
    const unhandled = vi.fn();
    process.on("unhandledRejection", unhandled);
    try {
      const { taro, client } = setup(new FakeTaro({ promiseStyle: true }));
      const call = client.query("user.me");
      (await nextRequest(taro)).fail("request:fail offline");
      expect(causeOf(await call.catch((caught: unknown) => caught)).kind).toBe("network");
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(unhandled).not.toHaveBeenCalled();
    } finally {
      process.off("unhandledRejection", unhandled);
    }
  });
});

describe("taroFetch", () => {
  it("keeps at most maxConcurrentRequests in flight and queues the rest", async () => {
    const taro = new FakeTaro();
    const fetch = taroFetch(taro, { maxConcurrentRequests: 2 });
    const responses = [1, 2, 3].map((n) => fetch(`${URL_BASE}/x${n}`, { method: "GET" }));
    expect(taro.requests).toHaveLength(2);
    taro.requests[0]!.respond(200, '{"result":{"data":1}}');
    await responses[0];
    expect(taro.requests).toHaveLength(3);
    expect(taro.requests[2]!.options.url).toBe(`${URL_BASE}/x3`);
    taro.requests[1]!.respond(200, '{"result":{"data":2}}');
    taro.requests[2]!.respond(200, '{"result":{"data":3}}');
    const bodies = await Promise.all(responses.map(async (response) => (await response).json()));
    expect(bodies).toEqual([{ result: { data: 1 } }, { result: { data: 2 } }, { result: { data: 3 } }]);
  });

  it("a queued request aborted before it starts is never sent", async () => {
    const taro = new FakeTaro();
    const fetch = taroFetch(taro, { maxConcurrentRequests: 1 });
    const controller = new AbortController();
    const first = fetch(`${URL_BASE}/a`, {});
    const queued = fetch(`${URL_BASE}/b`, { signal: controller.signal });
    controller.abort();
    await expect(queued).rejects.toMatchObject({ kind: "aborted", name: "AbortError" });
    taro.requests[0]!.respond(200, '{"result":{"data":null}}');
    await first;
    expect(taro.requests.map((request) => request.options.url)).toEqual([`${URL_BASE}/a`]);
  });

  it("exposes a Response-like object: ok, status, headers, text(), json()", async () => {
    const taro = new FakeTaro();
    const responsePromise = taroFetch(taro)(`${URL_BASE}/x`, { method: "post", body: "{}", headers: [["A", "b"]] });
    expect(taro.requests[0]!.options).toMatchObject({ method: "POST", data: "{}", header: { A: "b" } });
    taro.requests[0]!.respond(207, '[{"result":{"data":1}}]', { "X-Request-Id": "r1" });
    const response = await responsePromise;
    // 207 (a batch with mixed results) is a 2xx status, as in fetch.
    expect(response.ok).toBe(true);
    expect(response.status).toBe(207);
    expect(response.headers.get("x-request-id")).toBe("r1");
    await expect(response.text()).resolves.toBe('[{"result":{"data":1}}]');
    await expect(response.json()).resolves.toEqual([{ result: { data: 1 } }]);
  });

  it("answers like the fake server expects (sanity check of the test helper)", () => {
    const answer = answerLikeTrpc(
      {
        url: `${URL_BASE}/user.me,user.me?batch=1`,
        method: "GET",
        header: {},
        dataType: "text",
        responseType: "text",
        timeout: 1,
        success() {},
        fail() {},
      },
      new FakeAuthServer().procedures,
    );
    expect(answer.statusCode).toBe(401);
    const [first] = JSON.parse(answer.body) as unknown[];
    expect(first).toMatchObject({ error: { data: { code: "UNAUTHORIZED", reason: "NO_TOKEN" } } });
  });
});
