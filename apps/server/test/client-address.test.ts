import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  clientAddress,
  clientProtocol,
  parseTrustProxy,
  trustProxySchema,
  type ProxyTrust,
} from "../src/client-address.ts";

function trust(setting: string): ProxyTrust {
  const parsed = parseTrustProxy(setting);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.trust;
}

/**
 * A real node:http server that reports what it concluded about each request. The trust setting
 * travels in a test-only header so one server serves every case; the socket peer is whatever
 * address the test connects from (loopback here, like a proxy on the same host).
 */
let server: http.Server;
let port: number;
beforeAll(async () => {
  server = http.createServer((req, res) => {
    const proxyTrust = trust(String(req.headers["x-test-trust-proxy"] ?? "false"));
    res.writeHead(200, { "content-type": "application/json" });
    res.end(
      JSON.stringify({
        address: clientAddress(req, proxyTrust),
        protocol: clientProtocol(req, proxyTrust),
        peer: req.socket.remoteAddress,
      }),
    );
  });
  // "::" accepts IPv6 and IPv4 (as ::ffff:a.b.c.d), so both families and the mapping are exercised.
  await new Promise<void>((resolve) => server.listen(0, "::", resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

async function ask(
  trustProxy: string,
  headers: Record<string, string> = {},
  host = "127.0.0.1",
): Promise<{ address: string; protocol: string; peer: string }> {
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}/`;
  const response = await fetch(url, { headers: { "x-test-trust-proxy": trustProxy, ...headers } });
  return (await response.json()) as { address: string; protocol: string; peer: string };
}

describe("client address behind proxies", () => {
  it("ignores X-Forwarded-For when no proxy is trusted (the default)", async () => {
    const seen = await ask("false", { "x-forwarded-for": "203.0.113.7" });
    expect(seen.peer).toBe("::ffff:127.0.0.1");
    // The IPv4-mapped form is one client with its plain form: one rate-limit bucket.
    expect(seen.address).toBe("127.0.0.1");
    expect(await ask("0", { "x-forwarded-for": "203.0.113.7" })).toMatchObject({ address: "127.0.0.1" });
  });

  it("never lets a spoofed leftmost entry win: one hop takes the entry our proxy appended", async () => {
    for (const spoofed of ["6.6.6.6", "1.1.1.1", "10.0.0.1"]) {
      const seen = await ask("1", { "x-forwarded-for": `${spoofed}, 203.0.113.7` });
      expect(seen.address).toBe("203.0.113.7");
    }
    // TRUST_PROXY=true is one hop, not Express's "trust everything".
    expect(await ask("true", { "x-forwarded-for": "6.6.6.6, 203.0.113.7" })).toMatchObject({
      address: "203.0.113.7",
    });
  });

  it("counts hops from the right", async () => {
    const header = { "x-forwarded-for": "6.6.6.6, 203.0.113.7, 10.0.0.2" };
    expect((await ask("1", header)).address).toBe("10.0.0.2");
    expect((await ask("2", header)).address).toBe("203.0.113.7");
    // More hops than entries: every hop is trusted, and the leftmost is all that is left.
    expect((await ask("5", { "x-forwarded-for": "203.0.113.7" })).address).toBe("203.0.113.7");
  });

  it("with a list, skips every listed proxy from the right and stops at the first stranger", async () => {
    const list = "loopback, 10.0.0.0/8";
    expect((await ask(list, { "x-forwarded-for": "6.6.6.6, 203.0.113.7, 10.1.2.3, 10.0.0.9" })).address).toBe(
      "203.0.113.7",
    );
    // A client claiming a proxy's address on the left is still found by the entry our proxy appended.
    expect((await ask(list, { "x-forwarded-for": "10.9.9.9, 203.0.113.7" })).address).toBe("203.0.113.7");
    // The socket peer is not a listed proxy: its forwarded headers are not believed at all.
    expect((await ask("10.0.0.0/8", { "x-forwarded-for": "203.0.113.7" })).address).toBe("127.0.0.1");
    // An IPv4 list matches a peer that arrives IPv4-mapped on a dual-stack socket.
    expect((await ask("127.0.0.1", { "x-forwarded-for": "203.0.113.7" })).address).toBe("203.0.113.7");
  });

  it("handles IPv6 peers and entries, and unmaps IPv4-mapped entries", async () => {
    const seen = await ask("loopback", { "x-forwarded-for": "6.6.6.6, 2001:db8::17" }, "::1");
    expect(seen.peer).toBe("::1");
    expect(seen.address).toBe("2001:db8::17");
    expect((await ask("::1/128", { "x-forwarded-for": "::ffff:203.0.113.7" }, "::1")).address).toBe("203.0.113.7");
    expect((await ask("false", {}, "::1")).address).toBe("::1");
  });

  it("falls back to the proxy when the header is missing or its entry is not an address", async () => {
    expect((await ask("1")).address).toBe("127.0.0.1");
    expect((await ask("1", { "x-forwarded-for": "" })).address).toBe("127.0.0.1");
    expect((await ask("1", { "x-forwarded-for": "unknown" })).address).toBe("127.0.0.1");
    expect((await ask("1", { "x-forwarded-for": "<script>" })).address).toBe("127.0.0.1");
  });

  it("reads X-Forwarded-Proto only from a trusted peer, from the right", async () => {
    expect((await ask("false", { "x-forwarded-proto": "https" })).protocol).toBe("http");
    expect((await ask("10.0.0.0/8", { "x-forwarded-proto": "https" })).protocol).toBe("http");
    expect((await ask("1", { "x-forwarded-for": "203.0.113.7", "x-forwarded-proto": "https" })).protocol).toBe("https");
    // A proxy that overwrites the header leaves one entry, which is taken.
    expect((await ask("1", { "x-forwarded-proto": "https" })).protocol).toBe("https");
    // The client sent "https" itself and our appending proxy saw plain http: http it is.
    expect(
      (await ask("1", { "x-forwarded-for": "6.6.6.6, 203.0.113.7", "x-forwarded-proto": "https, http" })).protocol,
    ).toBe("http");
    // Two hops: the second entry from the right is the outer proxy's view of the client.
    expect(
      (await ask("2", { "x-forwarded-for": "203.0.113.7, 10.0.0.2", "x-forwarded-proto": "https, http" })).protocol,
    ).toBe("https");
    expect((await ask("1", { "x-forwarded-proto": "gopher" })).protocol).toBe("http");
  });
});

describe("TRUST_PROXY setting", () => {
  it("accepts false, hop counts, true (= one hop) and lists", () => {
    expect(trust("false").description).toBe("none");
    expect(trust("").description).toBe("none");
    expect(trust("0").description).toBe("none");
    expect(trust("TRUE").description).toBe("1 hop");
    expect(trust("2").description).toBe("2 hops");
    expect(trust(" Loopback , 10.0.0.0/8, fd00::/8, 192.168.0.0/255.255.0.0 ").description).toBe(
      "loopback, 10.0.0.0/8, fd00::/8, 192.168.0.0/255.255.0.0",
    );
  });

  it("refuses bad values with a message naming the entry", () => {
    const failure = (value: string) => {
      const parsed = parseTrustProxy(value);
      expect(parsed.ok).toBe(false);
      return parsed.ok ? "" : parsed.message;
    };
    expect(failure("yes")).toMatch(/"yes" is not a proxy address: use false, a hop count/);
    expect(failure("loopback, 10.0.0.300")).toMatch(/"10.0.0.300"/);
    expect(failure("10.0.0.0/8/8")).toMatch(/"10.0.0.0\/8\/8"/);
    expect(failure("10.0.0.0/33")).toMatch(/10\.0\.0\.0\/33/);
    expect(failure("1000")).toMatch(/hop count must be 0\.\.32/);
    expect(failure("-1")).toMatch(/"-1" is not a proxy address/);
  });

  it("plugs into a zod env schema, unset meaning no proxy", () => {
    const schema = z.object({ TRUST_PROXY: trustProxySchema });
    expect(schema.parse({}).TRUST_PROXY.description).toBe("none");
    expect(schema.parse({ TRUST_PROXY: "1" }).TRUST_PROXY.description).toBe("1 hop");
    const result = schema.safeParse({ TRUST_PROXY: "my-proxy" });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]).toMatchObject({
      path: ["TRUST_PROXY"],
      message: expect.stringMatching(/my-proxy/),
    });
  });
});
