import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { loginAs, request, startTestServer, type TestServer } from "./harness.ts";
import {
  expectCleanAnswer,
  rawExchange,
  rawRequestText,
  sleep,
  trickle,
  type RawExchange,
} from "./support/raw-http.ts";

/**
 * Hostile clients over raw sockets against the real server: cut, slow, oversized, malformed and
 * pipelined requests to every route. Whatever they send, the process stays up, every answer is a
 * clean status in the one error envelope, and slow clients are cut by the configured timeouts.
 */

// Short bounds so the slow-client tests take seconds; the generous deadlines below only catch a
// server that never cuts (Node's own default would be minutes).
const HEADERS_TIMEOUT_MS = 1_000;
const REQUEST_TIMEOUT_MS = 2_000;
const CUT_DEADLINE_MS = 15_000;

let server: TestServer;
let token: string;
beforeAll(async () => {
  server = await startTestServer({
    HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
    HTTP_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
    HTTP_KEEP_ALIVE_TIMEOUT_MS: "1000",
  });
  ({ token } = await loginAs(server));
});
afterAll(async () => server?.close());

// After every hostile exchange, the same process still serves an ordinary request.
afterEach(async () => {
  const health = await request(`${server.url}/healthz`);
  expect(health.status).toBe(200);
  const me = await request(`${server.url}/trpc/user.me`, { headers: { authorization: `Bearer ${token}` } });
  expect(me.status).toBe(200);
});

/** Every HTTP route the server has, as a request target, with the methods it serves. */
const ROUTES: { target: string; method: string; multipart?: boolean }[] = [
  { target: "/healthz", method: "GET" },
  { target: "/trpc/user.me", method: "GET" },
  { target: "/trpc/auth.login", method: "POST" },
  { target: "/trpc/user.updateProfile", method: "POST" },
  { target: "/trpc/user.uploadAvatar", method: "POST", multipart: true },
  { target: "/trpc/auth.login,user.me?batch=1", method: "POST" },
  { target: "/uploads/avatars/0123456789abcdef.png", method: "GET" },
  { target: "/no-such-route", method: "GET" },
];

const auth = () => ({ authorization: `Bearer ${token}` });

function expectAllClean(exchange: RawExchange) {
  for (const response of exchange.responses) expectCleanAnswer(response);
}

describe("truncated requests", () => {
  // Each case runs on every route at once: a cut connection may wait out the request timeout.
  it("a body shorter than its Content-Length, then a close, on every route at once", async () => {
    const exchanges = await Promise.all(
      ROUTES.map(({ target }) =>
        rawExchange(server.url, (socket) => {
          socket.end(
            rawRequestText(
              "POST",
              target,
              { ...auth(), "content-type": "application/json", "content-length": 100 },
              '{"a":',
            ),
          );
        }),
      ),
    );
    for (const exchange of exchanges) {
      expect(exchange.closedBy).toBe("server");
      expectAllClean(exchange);
    }
  });

  it.each(ROUTES)("a chunked body cut mid-chunk, then a reset: $target", async ({ target }) => {
    const exchange = await rawExchange(server.url, async (socket) => {
      socket.write(
        rawRequestText("POST", target, {
          ...auth(),
          "content-type": "application/json",
          "transfer-encoding": "chunked",
        }),
      );
      socket.write('20\r\n{"code":"abc');
      await sleep(50);
      socket.resetAndDestroy();
    });
    expectAllClean(exchange);
  });

  it("a multipart upload cut in the middle of the file", async () => {
    const boundary = "----cut";
    const head = `--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="a.png"\r\ncontent-type: image/png\r\n\r\n`;
    const exchange = await rawExchange(server.url, (socket) => {
      socket.end(
        rawRequestText(
          "POST",
          "/trpc/user.uploadAvatar",
          { ...auth(), "content-type": `multipart/form-data; boundary=${boundary}`, "content-length": 100_000 },
          `${head}\x89PNG\r\n\x1a\n`,
        ),
      );
    });
    expect(exchange.closedBy).toBe("server");
    expectAllClean(exchange);
  });
});

describe("slow clients are cut by the configured timeouts", () => {
  it("headers trickled a byte at a time (slowloris), on every route at once", async () => {
    const exchanges = await Promise.all(
      ROUTES.map(({ target, method }) =>
        rawExchange(
          server.url,
          (socket) =>
            trickle(socket, `${method} ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ${"a".repeat(400)}`, 50),
          { deadlineMs: CUT_DEADLINE_MS },
        ),
      ),
    );
    for (const exchange of exchanges) {
      expect(exchange.closedBy).toBe("server");
      // Answered in the envelope when the socket can still take it.
      for (const response of exchange.responses) {
        expectCleanAnswer(response);
        expect(response.status).toBe(400);
        expect(response.body).toMatch(/did not arrive in time/);
      }
    }
  });

  it("a connection that never sends a byte", async () => {
    const exchange = await rawExchange(server.url, () => {}, { deadlineMs: CUT_DEADLINE_MS });
    expect(exchange.closedBy).toBe("server");
    expectAllClean(exchange);
  });

  it("a body that never finishes, on every route at once", async () => {
    const exchanges = await Promise.all(
      ROUTES.map(({ target, multipart }) =>
        rawExchange(
          server.url,
          (socket) => {
            socket.write(
              rawRequestText(
                "POST",
                target,
                {
                  ...auth(),
                  "content-type": multipart ? "multipart/form-data; boundary=slow" : "application/json",
                  "content-length": 1_000,
                },
                multipart ? '--slow\r\ncontent-disposition: form-data; name="file"' : '{"code":"',
              ),
            );
          },
          { deadlineMs: CUT_DEADLINE_MS },
        ),
      ),
    );
    for (const exchange of exchanges) {
      expect(exchange.closedBy).toBe("server");
      expectAllClean(exchange);
    }
  });
});

describe("oversized requests", () => {
  it.each(ROUTES)("headers over the 16 KiB bound: $target", async ({ target, method }) => {
    const exchange = await rawExchange(server.url, (socket) => {
      socket.write(rawRequestText(method, target, { "x-big": "a".repeat(20 * 1024) }));
    });
    expect(exchange.responses).toHaveLength(1);
    const [response] = exchange.responses;
    expectCleanAnswer(response!);
    expect(response!.status).toBe(400);
    expect(response!.body).toMatch(/headers are larger than 16 KiB/);
  });

  it("a body over every limit, on every route at once", async () => {
    const size = 4 * 1024 * 1024;
    const exchanges = await Promise.all(
      ROUTES.map(({ target, multipart }) =>
        rawExchange(server.url, async (socket) => {
          socket.write(
            rawRequestText("POST", target, {
              ...auth(),
              "content-type": multipart ? "multipart/form-data; boundary=big" : "application/json",
              "content-length": size,
            }),
          );
          const slice = Buffer.alloc(64 * 1024, "a");
          for (let sent = 0; sent < size && socket.writable; sent += slice.length) {
            if (!socket.write(slice)) {
              await new Promise((resolve) => socket.once("drain", resolve).once("close", resolve));
            }
          }
        }),
      ),
    );
    for (const exchange of exchanges) {
      expect(exchange.responses.length).toBeLessThanOrEqual(1);
      expectAllClean(exchange);
    }
  });
});

describe("malformed bodies", () => {
  const procedures = ROUTES.filter(({ target }) => target.startsWith("/trpc/") && !target.includes("upload"));
  it.each(procedures)("malformed JSON: $target", async ({ target }) => {
    for (const body of ['{"code":', "not json", "\u0000\u0001", '{"0":{"json":', "[".repeat(10_000)]) {
      const exchange = await rawExchange(
        server.url,
        (socket) => {
          socket.write(
            rawRequestText(
              "POST",
              target,
              { ...auth(), "content-type": "application/json", "content-length": Buffer.byteLength(body) },
              body,
            ),
          );
        },
        { responses: 1 },
      );
      expect(exchange.responses).toHaveLength(1);
      expectCleanAnswer(exchange.responses[0]!);
      // A query by POST is refused for its method before its body is read.
      expect(exchange.responses[0]!.status).toBe(target === "/trpc/user.me" ? 405 : 400);
    }
  });

  it("malformed multipart bodies", async () => {
    const cases: { contentType: string; body: string }[] = [
      { contentType: "multipart/form-data", body: "no boundary at all" },
      { contentType: "multipart/form-data; boundary=x", body: "--y\r\nnot the boundary\r\n--y--\r\n" },
      { contentType: "multipart/form-data; boundary=x", body: '--x\r\ncontent-disposition: form-data; name="file"' },
      { contentType: "multipart/form-data; boundary=x", body: "--x\r\n\r\n\r\n--x--\r\n" },
      {
        contentType: "multipart/form-data; boundary=x",
        body: '--x\r\ncontent-disposition: form-data; name="file"; filename="a.png"\r\n\r\nabc\r\n--x',
      },
      { contentType: `multipart/form-data; boundary=${"b".repeat(200)}`, body: "--" },
      { contentType: "multipart/form-data; boundary=", body: "----\r\n" },
    ];
    for (const { contentType, body } of cases) {
      for (const headers of [auth(), {}]) {
        const exchange = await rawExchange(
          server.url,
          (socket) => {
            socket.write(
              rawRequestText(
                "POST",
                "/trpc/user.uploadAvatar",
                { ...headers, "content-type": contentType, "content-length": Buffer.byteLength(body) },
                body,
              ),
            );
          },
          { responses: 1 },
        );
        expect(exchange.responses, `${contentType} ${JSON.stringify(body)}`).toHaveLength(1);
        expectCleanAnswer(exchange.responses[0]!);
        expect(exchange.responses[0]!.status).toBeGreaterThanOrEqual(400);
      }
    }
  });
});

describe("bad methods and URLs", () => {
  const methods = ["PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE", "PROPFIND", "FOO", "get"];
  it.each(ROUTES)("every method: $target", async ({ target }) => {
    for (const method of methods) {
      const exchange = await rawExchange(server.url, (socket) => {
        socket.write(rawRequestText(method, target, { ...auth(), "content-length": 0, connection: "close" }));
      });
      expect(exchange.responses.length, `${method} ${target}`).toBeLessThanOrEqual(1);
      // A HEAD answer has the status and headers of a GET, without the body.
      if (method === "HEAD") expect(Number(/^HTTP\/1\.1 (\d+)/.exec(exchange.raw)?.[1])).toBeLessThan(500);
      else expectAllClean(exchange);
    }
  });

  it("CONNECT and an upgrade request are refused without harm", async () => {
    const connect = await rawExchange(server.url, (socket) => {
      socket.write("CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n\r\n");
    });
    expect(connect.closedBy).toBe("server");
    expectAllClean(connect);
    const upgrade = await rawExchange(
      server.url,
      (socket) => {
        socket.write(
          rawRequestText("GET", "/trpc/user.me", { connection: "Upgrade", upgrade: "websocket", "content-length": 0 }),
        );
      },
      { deadlineMs: CUT_DEADLINE_MS },
    );
    expectAllClean(upgrade);
  });

  const targets = [
    "/%zz",
    "/trpc/%zz",
    "/trpc/user.me?input=%zz",
    "/trpc/user.me?input=%7B%22a%22%3A",
    "/trpc/auth.login?batch=1&input=%zz",
    "/uploads/avatars/%zz",
    "/uploads/avatars/..%2F..%2Fetc%2Fpasswd",
    "/uploads/avatars/%00.png",
    "/healthz/%",
    "/healthz?%zz",
    "*",
    "//",
    "http://[::1",
    "http://example.com/healthz",
    "/trpc/",
    "/trpc",
    "/trpc/.",
    "/trpc/__proto__",
    "/trpc/constructor",
    "/trpc/user.me,user.me,user.me",
    `/trpc/${"a.".repeat(4000)}`,
    `/healthz?${"x".repeat(12_000)}`,
  ];
  it.each(
    targets.map((target) => [target.length > 60 ? `${target.slice(0, 40)}… (${target.length} chars)` : target, target]),
  )("GET and POST %s", async (_name, target) => {
    for (const method of ["GET", "POST"]) {
      const exchange = await rawExchange(server.url, (socket) => {
        socket.write(rawRequestText(method, target, { ...auth(), "content-length": 0, connection: "close" }));
      });
      expect(exchange.responses, `${method} ${target}`).toHaveLength(1);
      expectAllClean(exchange);
    }
  });

  it("a Host header that is no host", async () => {
    for (const host of ["[", "a b", "%zz", "", "http://x"]) {
      const exchange = await rawExchange(server.url, (socket) => {
        socket.write(`GET /trpc/user.me HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
      });
      expect(exchange.responses, host).toHaveLength(1);
      expectAllClean(exchange);
    }
  });

  it("a request line that is not HTTP", async () => {
    for (const line of [
      "GET /healthz\r\n\r\n",
      "GET /healthz HTTP/9.9\r\n\r\n",
      "\u0000\u0001\u0002\r\n\r\n",
      "GET  HTTP/1.1\r\n\r\n",
    ]) {
      const exchange = await rawExchange(server.url, (socket) => {
        socket.write(line);
      });
      expectAllClean(exchange);
    }
  });
});

describe("pipelining", () => {
  it("answers pipelined requests in order, each cleanly", async () => {
    const body = '{"code":';
    const requests = [
      rawRequestText("GET", "/healthz"),
      rawRequestText("GET", "/trpc/user.me"),
      rawRequestText(
        "POST",
        "/trpc/auth.login",
        { "content-type": "application/json", "content-length": body.length },
        body,
      ),
      rawRequestText("GET", "/trpc/user.me", auth()),
      rawRequestText("GET", "/no-such-route", { connection: "close" }),
    ];
    const exchange = await rawExchange(server.url, (socket) => {
      socket.write(requests.join(""));
    });
    expect(exchange.responses.map((response) => response.status)).toEqual([200, 401, 400, 200, 404]);
    expectAllClean(exchange);
  });

  it("a pipelined stream that ends in garbage answers what came before, then closes", async () => {
    const exchange = await rawExchange(server.url, (socket) => {
      socket.write(
        rawRequestText("GET", "/healthz") + rawRequestText("GET", "/trpc/user.me", auth()) + "GARBAGE\r\n\r\n",
      );
    });
    expect(exchange.closedBy).toBe("server");
    expect(exchange.responses.map((response) => response.status)).toEqual([200, 200, 400]);
    expectAllClean(exchange);
  });

  it("many pipelined requests on one socket are all answered", async () => {
    const count = 50;
    const exchange = await rawExchange(
      server.url,
      (socket) => {
        socket.write(rawRequestText("GET", "/trpc/user.me", auth()).repeat(count));
      },
      { responses: count },
    );
    expect(exchange.responses).toHaveLength(count);
    expect(new Set(exchange.responses.map((response) => response.status))).toEqual(new Set([200]));
  });
});

describe("the log", () => {
  it("holds no stack of a client's fault", () => {
    // Faults of clients are refusals, not server errors: nothing reached the "request failed" path.
    expect(server.logs.text).not.toMatch(/"request failed"|"procedure failed"/);
  });
});
