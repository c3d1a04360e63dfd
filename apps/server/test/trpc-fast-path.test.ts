import http from "node:http";
import type { AddressInfo } from "node:net";
import { procedureWantsAbortSignal, type ProcedureMeta } from "@mp-auth/api";
import { initTRPC, type AnyTRPCRouter } from "@trpc/server";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createTrpcFastPath, type FastPathOptions } from "../src/trpc-fast-path.ts";

/**
 * The lean path on routers other than the app's: what protocol.test.ts cannot show with appRouter
 * (the AbortSignal choice, a data transformer). Real HTTP on loopback, each path in its own server.
 */

const servers: http.Server[] = [];

afterEach(async () => {
  await Promise.all(
    servers.splice(0).map((server) => {
      const closed = new Promise((resolve) => server.close(resolve));
      // fetch keeps its connections alive: without this, close waits for the client to drop them.
      server.closeAllConnections();
      return closed;
    }),
  );
});

async function listen(handler: http.RequestListener): Promise<string> {
  const server = http.createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A server answering /trpc/* through the lean path only: a request it does not claim is a 599. */
function serveFastPath(
  router: AnyTRPCRouter,
  options: Pick<FastPathOptions<object>, "wantsSignal"> = {},
): Promise<string> {
  const fastPath = createTrpcFastPath({
    router,
    prefix: "/trpc/",
    maxBodyBytes: 64 * 1024,
    createContext: () => ({}),
    onError: () => {},
    ...options,
  });
  return listen((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (!fastPath(req, res, url)) {
      res.statusCode = 599;
      res.end();
    }
  });
}

function serveStock(router: AnyTRPCRouter): Promise<string> {
  return listen(createHTTPHandler({ router, basePath: "/trpc/", createContext: () => ({}) }));
}

describe("AbortSignal per call", () => {
  /** Each procedure records the signal it got, then waits until released (or aborted). */
  function signalRouter() {
    const t = initTRPC.meta<ProcedureMeta>().create({ isDev: false });
    const seen: Record<string, AbortSignal | undefined | "not called"> = { with: "not called", without: "not called" };
    let release = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    const wait = (name: "with" | "without", meta: ProcedureMeta) =>
      t.procedure.meta(meta).query(async ({ signal }) => {
        seen[name] = signal;
        await Promise.race([
          released,
          new Promise((resolve) => signal?.addEventListener("abort", resolve, { once: true })),
        ]);
        return name;
      });
    const router = t.router({ with: wait("with", { abortSignal: true }), without: wait("without", {}) });
    return { router, seen, release };
  }
  it("gives one only to procedures that declare abortSignal (as the server does), and aborts it when the client leaves", async () => {
    const { router, seen, release } = signalRouter();
    const url = await serveFastPath(router, { wantsSignal: procedureWantsAbortSignal });

    const leaving = new AbortController();
    const left = fetch(`${url}/trpc/with`, { signal: leaving.signal }).catch(() => "left");
    await vi.waitUntil(() => seen.with !== "not called", { timeout: 1000, interval: 5 });
    const signal = seen.with;
    expect(signal).toBeInstanceOf(AbortSignal);
    expect((signal as AbortSignal).aborted).toBe(false);
    leaving.abort();
    expect(await left).toBe("left");
    await vi.waitUntil(() => (signal as AbortSignal).aborted, { timeout: 1000, interval: 5 });

    const answer = fetch(`${url}/trpc/without`).then((response) => response.json());
    await vi.waitUntil(() => seen.without !== "not called", { timeout: 1000, interval: 5 });
    expect(seen.without).toBeUndefined();
    release();
    expect(await answer).toEqual({ result: { data: "without" } });
  });

  it("gives every call one by default, as the stock handler does, and none is aborted by a finished answer", async () => {
    const { router, seen, release } = signalRouter();
    const url = await serveFastPath(router);
    const answer = fetch(`${url}/trpc/without`).then((response) => response.json());
    await vi.waitUntil(() => seen.without !== "not called", { timeout: 1000, interval: 5 });
    release();
    expect(await answer).toEqual({ result: { data: "without" } });
    expect(seen.without).toBeInstanceOf(AbortSignal);
    expect((seen.without as AbortSignal).aborted).toBe(false);
  });
});

describe("data transformer", () => {
  /** Output wrapped in an envelope, so a skipped transform would show in the bytes. */
  const wrapping = {
    serialize: (value: unknown) => ({ wrapped: value }),
    deserialize: (value: unknown) => (value as { wrapped: unknown }).wrapped,
  };
  const t = initTRPC.create({ transformer: wrapping, isDev: false });
  const router = t.router({
    echo: t.procedure.input((value) => value as string).query(({ input }) => ({ echo: input })),
    fail: t.procedure.query(() => {
      throw new Error("no");
    }),
  });

  it("answers byte for byte as the stock handler: results, errors and batches go through it", async () => {
    const fast = await serveFastPath(router);
    const stock = await serveStock(router);
    const input = encodeURIComponent(JSON.stringify({ wrapped: "hi" }));
    const batchInput = encodeURIComponent(JSON.stringify({ 0: { wrapped: "a" } }));
    for (const path of ["/trpc/echo?input=" + input, "/trpc/fail", `/trpc/echo,fail?batch=1&input=${batchInput}`]) {
      const [a, b] = await Promise.all([fetch(fast + path), fetch(stock + path)]);
      const [bodyA, bodyB] = [await a.text(), await b.text()];
      expect(a.status, path).toBe(b.status);
      expect(bodyA, path).toBe(bodyB);
      expect(bodyA, path).toContain('"wrapped"');
    }
  });
});
