import http from "node:http";
import type { AddressInfo } from "node:net";
import { createTRPCClient, httpBatchLink, TRPCClientError } from "@trpc/client";
import { initTRPC } from "@trpc/server";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import { afterEach, describe, expect, it } from "vitest";
import {
  createLoadShedder,
  DEFAULT_LOAD_SHEDDING,
  type LoadShedder,
  type LoadShedderOptions,
} from "../src/load-shedding.ts";

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  ms: number;
}

/**
 * A real node:http server behind the shedder. Every request but /healthz and /fail is held until
 * the test lets it go (`releaseAll`), so "slow handlers" are exactly as slow as the test needs.
 */
async function startShedServer(settings: Partial<LoadShedderOptions>) {
  const held: Array<() => void> = [];
  const started: string[] = [];
  const shedder = createLoadShedder({ ...DEFAULT_LOAD_SHEDDING, ...settings });
  const server = http.createServer(
    shedder.wrap((req, res) => {
      started.push(req.url ?? "");
      if (req.url === "/fail") {
        // A handler fault that kills the response instead of answering it.
        setTimeout(() => res.destroy(new Error("handler failed")), 10);
        return;
      }
      if (req.url === "/healthz") {
        res.end("ok");
        return;
      }
      held.push(() => res.end(`done ${req.url}`));
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  servers.push(server);
  return {
    shedder,
    started,
    port,
    heldCount: () => held.length,
    releaseAll: () => held.splice(0).forEach((release) => release()),
    request: (path: string) => request(port, path),
  };
}

const servers: http.Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

/** One request on its own connection; `abort()` drops the connection like a client giving up. */
function request(port: number, path: string): { done: Promise<Reply>; abort: () => void } {
  const begun = performance.now();
  let clientRequest!: http.ClientRequest;
  const done = new Promise<Reply>((resolve, reject) => {
    clientRequest = http.get({ host: "127.0.0.1", port, path, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () =>
        resolve({ status: res.statusCode!, headers: res.headers, body, ms: performance.now() - begun }),
      );
    });
    clientRequest.on("error", reject);
  });
  return { done, abort: () => clientRequest.destroy() };
}

async function until(condition: () => boolean, what: string) {
  const deadline = Date.now() + 5_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const counters = (shedder: LoadShedder) => ({ inFlight: shedder.inFlight, queued: shedder.queued });

describe("load shedding", () => {
  it("answers the excess at once with 503, Retry-After and the OVERLOADED envelope, while admitted requests complete", async () => {
    const server = await startShedServer({ maxInFlight: 2, maxQueued: 0, retryAfterSeconds: 3 });
    const admitted = [server.request("/a"), server.request("/b")];
    await until(() => server.heldCount() === 2, "two admitted requests");

    const excess = await server.request("/c").done;
    expect(excess.status).toBe(503);
    expect(excess.ms).toBeLessThan(500);
    expect(excess.headers["retry-after"]).toBe("3");
    expect(JSON.parse(excess.body)).toEqual({
      error: {
        message: "The server is overloaded: retry shortly.",
        code: -32603,
        data: {
          code: "SERVICE_UNAVAILABLE",
          httpStatus: 503,
          reason: "OVERLOADED",
          action: "retry",
          retryable: true,
          retryAfterSeconds: 3,
        },
      },
    });
    expect(server.started).not.toContain("/c");
    expect(server.shedder.shed).toBe(1);

    // The health check is neither refused nor counted while the server is full.
    expect((await server.request("/healthz").done).status).toBe(200);

    server.releaseAll();
    const replies = await Promise.all(admitted.map((request) => request.done));
    expect(replies.map((reply) => [reply.status, reply.body])).toEqual([
      [200, "done /a"],
      [200, "done /b"],
    ]);
    await until(() => server.shedder.inFlight === 0, "slots to come back");
    // Capacity is back: the next request is admitted, not shed.
    const next = server.request("/d");
    await until(() => server.heldCount() === 1, "the next request admitted");
    server.releaseAll();
    expect((await next.done).status).toBe(200);
  });

  it("queues a few requests in order, sheds past the queue, and hands a freed slot to the longest waiter", async () => {
    const server = await startShedServer({ maxInFlight: 1, maxQueued: 2, maxQueueWaitMs: 10_000 });
    const first = server.request("/1");
    await until(() => server.heldCount() === 1, "the first request");
    const second = server.request("/2");
    const third = server.request("/3");
    await until(() => server.shedder.queued === 2, "two waiters");

    expect((await server.request("/4").done).status).toBe(503);
    expect(server.started).toEqual(["/1"]);

    server.releaseAll();
    expect((await first.done).body).toBe("done /1");
    await until(() => server.started.length === 2, "the second request to start");
    expect(server.started).toEqual(["/1", "/2"]);
    expect(counters(server.shedder)).toEqual({ inFlight: 1, queued: 1 });

    server.releaseAll();
    await until(() => server.started.length === 3, "the third request to start");
    server.releaseAll();
    expect((await second.done).body).toBe("done /2");
    expect((await third.done).body).toBe("done /3");
    await until(() => server.shedder.inFlight === 0, "slots to come back");
    expect(counters(server.shedder)).toEqual({ inFlight: 0, queued: 0 });
  });

  it("sheds a request that waited its whole allowance", async () => {
    const server = await startShedServer({ maxInFlight: 1, maxQueued: 5, maxQueueWaitMs: 150 });
    const held = server.request("/held");
    await until(() => server.heldCount() === 1, "the held request");
    const waited = await server.request("/waits").done;
    expect(waited.status).toBe(503);
    expect(waited.ms).toBeGreaterThanOrEqual(140);
    expect(waited.ms).toBeLessThan(1_000);
    expect(counters(server.shedder)).toEqual({ inFlight: 1, queued: 0 });
    server.releaseAll();
    expect((await held.done).status).toBe(200);
    await until(() => server.shedder.inFlight === 0, "the slot to come back");
  });

  it("gives slots and queue places back when clients abort or handlers fail (no leak)", async () => {
    const server = await startShedServer({ maxInFlight: 2, maxQueued: 2, maxQueueWaitMs: 10_000 });
    const running = [server.request("/r1"), server.request("/r2")];
    await until(() => server.heldCount() === 2, "two running requests");
    const waiting = [server.request("/w1"), server.request("/w2")];
    for (const request of [...running, ...waiting]) request.done.catch(() => undefined);
    await until(() => server.shedder.queued === 2, "two waiters");

    // Waiters give up: their places are freed and they never run.
    waiting.forEach((request) => request.abort());
    await until(() => server.shedder.queued === 0, "the queue to empty");
    // Running requests are aborted by their clients: their slots come back.
    running.forEach((request) => request.abort());
    await until(() => server.shedder.inFlight === 0, "slots to come back after aborts");
    expect(server.started).toEqual(["/r1", "/r2"]);

    // A handler that destroys its response (an error) gives its slot back too.
    const failures = [server.request("/fail"), server.request("/fail")];
    await Promise.allSettled(failures.map((request) => request.done));
    await until(() => server.shedder.inFlight === 0, "slots to come back after failures");

    // The full capacity is there again.
    const again = [server.request("/x"), server.request("/y")];
    await until(() => server.heldCount() === 4, "two new requests admitted");
    expect(server.shedder.shed).toBe(0);
    server.releaseAll();
    expect((await Promise.all(again.map((request) => request.done))).map((reply) => reply.status)).toEqual([200, 200]);
    await until(() => server.shedder.inFlight === 0, "slots to come back");
  });

  it("reaches a tRPC client as a TRPCClientError carrying the OVERLOADED data", async () => {
    const t = initTRPC.create();
    let releaseSlow!: () => void;
    const gate = new Promise<void>((resolve) => (releaseSlow = resolve));
    const router = t.router({ slow: t.procedure.query(async () => (await gate, "slow")) });
    const shedder = createLoadShedder({ ...DEFAULT_LOAD_SHEDDING, maxInFlight: 1, maxQueued: 0 });
    const server = http.createServer(shedder.wrap(createHTTPHandler({ router, basePath: "/trpc/" })));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    servers.push(server);
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/trpc`;
    const client = createTRPCClient<typeof router>({ links: [httpBatchLink({ url })] });

    const admitted = client.slow.query();
    await until(() => shedder.inFlight === 1, "the admitted call");
    const refused = await createTRPCClient<typeof router>({ links: [httpBatchLink({ url })] })
      .slow.query()
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(TRPCClientError);
    expect((refused as TRPCClientError<typeof router>).data).toMatchObject({
      reason: "OVERLOADED",
      action: "retry",
      httpStatus: 503,
      retryAfterSeconds: DEFAULT_LOAD_SHEDDING.retryAfterSeconds,
    });
    releaseSlow();
    expect(await admitted).toBe("slow");
  });
});
