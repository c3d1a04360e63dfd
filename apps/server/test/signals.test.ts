import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import net, { type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { distEntry, ensureServerBuilt } from "../scripts/build.mjs";

/**
 * The real production command, `pnpm serve`, and the plain node entry (the built
 * dist/main.mjs), started as a process
 * manager would, then stopped with SIGTERM / SIGINT sent to the pid it started (and only that pid).
 * Afterwards the port must be free and no process of ours left: every process we start carries a
 * unique temp path in its environment (DATABASE_URL), which /proc shows for descendants too.
 */

const serverDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const repoRoot = path.resolve(serverDir, "../..");

async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

async function canListen(port: number): Promise<boolean> {
  const probe = net.createServer();
  return new Promise((resolve) => {
    probe.once("error", () => resolve(false));
    probe.listen(port, "127.0.0.1", () => probe.close(() => resolve(true)));
  });
}

/** Pids whose command line or environment mentions `marker`. */
function processesMentioning(marker: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8");
      const environ = readFileSync(`/proc/${entry}/environ`, "utf8");
      if (cmdline.includes(marker) || environ.includes(marker)) found.push(Number(entry));
    } catch {
      // The process ended while we looked, or is not ours to read.
    }
  }
  return found;
}

async function until<T>(probe: () => Promise<T | undefined> | T | undefined, what: string, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

interface Started {
  child: ChildProcess;
  port: number;
  mockPort: number;
  marker: string;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

// Built once up front, as `pnpm serve` would: the node entry needs it, and `pnpm serve` then finds
// it up to date instead of two tests building at once.
beforeAll(() => ensureServerBuilt(), 120_000);

const started: Started[] = [];
afterEach(() => {
  for (const { child, marker } of started.splice(0)) {
    // Only matters when a test failed half-way (a leftover server): end the process group this
    // test started, nothing else. Its leader may be gone while orphans remain in the group.
    try {
      if (child.pid) process.kill(-child.pid, "SIGKILL");
    } catch {
      // The whole group is gone: the normal case.
    }
    rmSync(marker, { recursive: true, force: true });
  }
});

async function startEntry(entry: "pnpm serve" | "node entry", logLevel = "warn"): Promise<Started> {
  const marker = mkdtempSync(path.join(tmpdir(), "mp-auth-signals-"));
  const port = await freePort();
  const mockPort = await freePort();
  const env = {
    ...process.env,
    PORT: String(port),
    HOST: "127.0.0.1",
    WX_MOCK_PORT: String(mockPort),
    DATABASE_URL: `file:${path.join(marker, "server.db")}`,
    UPLOAD_DIR: path.join(marker, "uploads"),
    SESSION_KEY_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
    // Production needs a WeChat app, or the explicit switch to the mock.
    WX_MOCK: "1",
    LOG_LEVEL: logLevel,
  };
  // `detached`: its own process group, as under a process manager, so a terminal's or the test
  // runner's signals do not reach it by accident; our signal goes to the one pid we started.
  const child =
    entry === "pnpm serve"
      ? spawn("pnpm", ["serve"], { cwd: repoRoot, env, detached: true, stdio: ["ignore", "pipe", "pipe"] })
      : spawn(process.execPath, [distEntry], {
          cwd: serverDir,
          env: { ...env, NODE_ENV: "production" },
          detached: true,
          stdio: ["ignore", "pipe", "pipe"],
        });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const result: Started = { child, port, mockPort, marker, output: () => output, exited };
  started.push(result);
  await until(
    () =>
      new Promise<true | undefined>((resolve) => {
        if (child.exitCode !== null) throw new Error(`the server exited while starting:\n${output}`);
        http
          .get({ host: "127.0.0.1", port, path: "/healthz", agent: false }, (res) => {
            res.resume();
            resolve(res.statusCode === 200 ? true : undefined);
          })
          .on("error", () => resolve(undefined));
      }),
    "the server to answer /healthz",
    90_000,
  );
  return result;
}

interface KeptAliveOutcome {
  status?: number;
  connectionHeader?: string;
  error?: string;
}

/**
 * Two kept-alive connections across the shutdown: one idle after a first answer, one carrying a
 * request whose body is still arriving when the signal lands. Neither may see a reset.
 */
async function keptAliveConnectionsAcross(port: number, sendSignal: () => void) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 2 });
  const idleSocketErrors: string[] = [];
  await new Promise<void>((resolve, reject) => {
    http
      .get({ host: "127.0.0.1", port, path: "/healthz", agent }, (res) => {
        res.socket.on("error", (error: NodeJS.ErrnoException) => idleSocketErrors.push(error.code ?? error.message));
        res.resume();
        res.on("end", () => resolve());
      })
      .on("error", reject);
  });

  const body = JSON.stringify({ code: "" });
  let outcome: KeptAliveOutcome = {};
  const inFlight = new Promise<void>((resolve) => {
    const req = http.request(
      {
        host: "127.0.0.1",
        port,
        method: "POST",
        path: "/trpc/auth.login",
        agent,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
      },
      (res) => {
        outcome = { status: res.statusCode, connectionHeader: res.headers.connection };
        res.resume();
        res.on("end", () => resolve());
      },
    );
    req.on("error", (error: NodeJS.ErrnoException) => {
      outcome = { error: error.code ?? error.message };
      resolve();
    });
    req.write(body.slice(0, 4));
    // The body's rest comes after the signal, while the server drains.
    setTimeout(() => {
      sendSignal();
      setTimeout(() => req.end(body.slice(4)), 300);
    }, 200);
  });
  await inFlight;
  agent.destroy();
  return { inFlight: outcome, idleSocketErrors };
}

describe.each(["pnpm serve", "node entry"] as const)("%s", (entry) => {
  it.each(["SIGTERM", "SIGINT"] as const)(
    "stops on %s: answers the request in flight, frees the port, leaves no process",
    async (signal) => {
      const server = await startEntry(entry);
      const { inFlight, idleSocketErrors } = await keptAliveConnectionsAcross(server.port, () =>
        server.child.kill(signal),
      );
      // The request in flight is answered (input refused: 400), not reset.
      expect(inFlight).toMatchObject({ status: 400 });
      expect(idleSocketErrors).toEqual([]);

      const exit = await Promise.race([
        server.exited,
        new Promise<never>((_, reject) =>
          setTimeout(() => reject(new Error(`no exit within 20 s:\n${server.output()}`)), 20_000),
        ),
      ]);
      expect(exit, server.output()).toEqual({ code: 0, signal: null });
      expect(server.output()).toContain(`${signal} received: draining`);

      await until(
        () => (processesMentioning(server.marker).length === 0 ? true : undefined),
        `no process mentioning ${server.marker} (left: ${processesMentioning(server.marker).join(", ")})`,
        5_000,
      );
      expect(await canListen(server.port)).toBe(true);
      expect(await canListen(server.mockPort)).toBe(true);
    },
    150_000,
  );
});

it("writes every request line to stdout, whole and in order, the last ones too when SIGTERM ends it", async () => {
  const server = await startEntry("node entry", "info");
  // Unknown routes (404): each line then names its request.
  const paths = Array.from({ length: 200 }, (_, index) => `/log-order/${index}`);
  // Answered one after another, the last right before the signal: their lines may still be waiting
  // for stdout when the process starts to exit.
  for (const requestPath of paths) {
    await new Promise<void>((resolve, reject) =>
      http
        .get({ host: "127.0.0.1", port: server.port, path: requestPath, agent: false }, (res) => {
          res.resume();
          res.on("end", resolve);
        })
        .on("error", reject),
    );
  }
  server.child.kill("SIGTERM");
  expect(await server.exited).toEqual({ code: 0, signal: null });
  const lines = server
    .output()
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as { msg?: string; path?: string; status?: number });
  const logged = lines.filter((line) => line.msg === "request" && line.path?.startsWith("/log-order/"));
  expect(
    logged.map((line) => line.path),
    server.output().slice(-2000),
  ).toEqual(paths);
  expect(logged.every((line) => line.status === 404)).toBe(true);
  expect(lines.at(-1)?.msg).toBe("server stopped");
}, 120_000);
