import { EventEmitter } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createHttpDrain, exitOnSignals, type HttpDrain } from "../src/shutdown.ts";

interface Harness {
  server: http.Server;
  drain: HttpDrain;
  port: number;
  /** Requests the handler is holding, released by the test. */
  held: Array<() => void>;
}

const servers: http.Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

/**
 * A real server whose /slow requests wait for the test, /stream sends its headers at once and its
 * body later. keepAliveTimeout is long on purpose: the drain, not Node's idle timer, must close
 * kept-alive sockets.
 */
async function startHarness(): Promise<Harness> {
  const held: Harness["held"] = [];
  const server = http.createServer((req, res) => {
    if (req.url === "/slow") {
      held.push(() => res.end("slow done"));
      return;
    }
    if (req.url === "/stream") {
      res.writeHead(200, { "content-type": "text/plain" });
      res.write("first part;");
      held.push(() => res.end("second part"));
      return;
    }
    res.end("quick");
  });
  server.keepAliveTimeout = 60_000;
  const drain = createHttpDrain(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  servers.push(server);
  return { server, drain, port: (server.address() as AddressInfo).port, held };
}

interface Reply {
  status: number;
  connection: string | undefined;
  body: string;
}

function get(port: number, path: string, agent: http.Agent): { reply: Promise<Reply>; socketErrors: string[] } {
  const socketErrors: string[] = [];
  const reply = new Promise<Reply>((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port, path, agent }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode!, connection: res.headers.connection, body }));
    });
    req.on("socket", (socket) =>
      socket.on("error", (error: NodeJS.ErrnoException) => socketErrors.push(error.code ?? error.message)),
    );
    req.on("error", reject);
  });
  return { reply, socketErrors };
}

async function until(condition: () => boolean, what: string) {
  const deadline = Date.now() + 5_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe("HTTP drain", () => {
  it("answers requests in flight with Connection: close and closes idle kept-alive sockets", async () => {
    const { drain, port, held } = await startHarness();
    const agent = new http.Agent({ keepAlive: true });

    // An idle kept-alive connection, and one with a request in flight.
    const warm = get(port, "/quick", agent);
    expect((await warm.reply).connection).toBe("keep-alive");
    const idleSocket = [...Object.values(agent.freeSockets)].flat()[0]!;
    const idleClosed = new Promise<void>((resolve) => idleSocket.once("close", () => resolve()));
    const slow = get(port, "/slow", new http.Agent({ keepAlive: true }));
    await until(() => held.length === 1, "the slow request");

    const began = Date.now();
    const closed = drain.close(5_000);
    expect(drain.draining).toBe(true);
    await idleClosed;

    held.shift()!();
    const reply = await slow.reply;
    expect(reply).toEqual({ status: 200, connection: "close", body: "slow done" });
    expect(await closed).toEqual({ forced: false });
    expect(Date.now() - began).toBeLessThan(2_000);
    expect([...warm.socketErrors, ...slow.socketErrors]).toEqual([]);
    agent.destroy();
  });

  it("closes a kept-alive socket once a response that had already sent its headers ends", async () => {
    const { drain, port, held } = await startHarness();
    const agent = new http.Agent({ keepAlive: true });
    const stream = get(port, "/stream", agent);
    await until(() => held.length === 1, "the streaming response");

    const began = Date.now();
    const closed = drain.close(10_000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    held.shift()!();
    const reply = await stream.reply;
    // Its headers left before the drain began: they say keep-alive, and the body still arrives whole.
    expect(reply).toMatchObject({ status: 200, connection: "keep-alive", body: "first part;second part" });
    // The socket is closed as soon as it is idle, not after keepAliveTimeout (60 s here).
    expect(await closed).toEqual({ forced: false });
    expect(Date.now() - began).toBeLessThan(2_000);
    expect(stream.socketErrors).toEqual([]);
    agent.destroy();
  });

  it("cuts what is left when the grace period runs out", async () => {
    const { drain, port, held } = await startHarness();
    const stuck = get(port, "/slow", new http.Agent({ keepAlive: true }));
    stuck.reply.catch(() => undefined);
    await until(() => held.length === 1, "the stuck request");
    const began = Date.now();
    expect(await drain.close(200)).toEqual({ forced: true });
    expect(Date.now() - began).toBeGreaterThanOrEqual(190);
    await expect(stuck.reply).rejects.toThrow();
    // Calling again returns the same outcome rather than closing twice.
    expect(await drain.close(200)).toEqual({ forced: true });
  });
});

describe("exit on signals", () => {
  function harness(stop: () => Promise<unknown>, graceMs = 5_000) {
    const signals = new EventEmitter();
    const exits: number[] = [];
    const logs: string[] = [];
    let stops = 0;
    const dispose = exitOnSignals({
      stop: () => {
        stops++;
        return stop();
      },
      graceMs,
      log: (message) => logs.push(message),
      exit: (code) => exits.push(code),
      signalSource: signals,
    });
    return { signals, exits, logs, stops: () => stops, dispose };
  }

  it("drains once on SIGTERM, then exits 0", async () => {
    let finish!: () => void;
    const run = harness(() => new Promise<void>((resolve) => (finish = resolve)));
    run.signals.emit("SIGTERM");
    expect(run.stops()).toBe(1);
    expect(run.exits).toEqual([]);
    finish();
    await until(() => run.exits.length > 0, "the exit");
    expect(run.exits).toEqual([0]);
    expect(run.logs[0]).toMatch(/^SIGTERM received: draining/);
    run.dispose();
  });

  it("exits at once on a second signal, with 128 + its number", () => {
    const run = harness(() => new Promise(() => undefined));
    run.signals.emit("SIGINT");
    run.signals.emit("SIGINT");
    expect(run.stops()).toBe(1);
    expect(run.exits).toEqual([130]);
    run.signals.emit("SIGTERM");
    expect(run.exits).toEqual([130, 143]);
    run.dispose();
  });

  it("exits 1 when the stop fails, or outlasts the grace period", async () => {
    const failing = harness(() => Promise.reject(new Error("database did not close")));
    failing.signals.emit("SIGTERM");
    await until(() => failing.exits.length > 0, "the exit");
    expect(failing.exits).toEqual([1]);
    expect(failing.logs.at(-1)).toBe("shutdown failed: database did not close");
    failing.dispose();

    const hanging = harness(() => new Promise(() => undefined), 0);
    hanging.signals.emit("SIGINT");
    await until(() => hanging.exits.length > 0, "the deadline");
    expect(hanging.exits).toEqual([1]);
    hanging.dispose();
    // Disposed: signals no longer reach it.
    hanging.signals.emit("SIGINT");
    expect(hanging.exits).toEqual([1]);
  });
});
