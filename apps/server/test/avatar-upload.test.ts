import { rmSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  call,
  loginAs,
  request,
  startTestServer,
  uploadAvatar,
  type TestServer,
  serverTestEngines,
} from "./harness.ts";

describe.each(await serverTestEngines())("on %s", (engine) => {
  /** A valid 1x1 PNG. */
  const PNG = Buffer.from(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201a5d1e5a10000000049454e44ae426082",
    "hex",
  );

  let server: TestServer;
  let token: string;
  beforeAll(async () => {
    // This suite uploads far more than a person would: the limit has its own test below.
    server = await startTestServer({ UPLOAD_RATE_LIMIT_PER_USER: "1000" }, { engine });
    ({ token } = await loginAs(server));
  });
  afterAll(async () => server?.close());

  /** Writes raw bytes to the server and reads what comes back until the server closes or `ms` pass. */
  function rawExchange(bytes: string | Buffer, options: { end?: boolean; ms?: number } = {}): Promise<string> {
    return new Promise((resolve) => {
      const socket = net.connect(Number(new URL(server.url).port), "127.0.0.1");
      let answer = "";
      socket.on("data", (chunk) => (answer += chunk.toString("latin1")));
      socket.on("error", () => undefined);
      const done = () => {
        socket.destroy();
        resolve(answer);
      };
      socket.on("close", done);
      setTimeout(done, options.ms ?? 3000);
      socket.write(typeof bytes === "string" ? Buffer.from(bytes, "latin1") : bytes);
      if (options.end) socket.end();
    });
  }

  function multipartHead(body: string, contentLength = Buffer.byteLength(body, "latin1")): string {
    return (
      `POST /trpc/user.uploadAvatar HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\n` +
      `Content-Type: multipart/form-data; boundary=XyZ\r\nContent-Length: ${contentLength}\r\nConnection: close\r\n\r\n`
    );
  }

  describe("POST /trpc/user.uploadAvatar (multipart)", () => {
    it("stores a PNG, serves it back, and user.updateProfile accepts its URL", async () => {
      const result = await uploadAvatar(server, PNG, { token });
      expect(result.status).toBe(200);
      const url = result.data!.url;
      expect(url).toMatch(new RegExp(`^${server.url}/uploads/avatars/[0-9a-f]{32}\\.png$`));

      const image = await fetch(url);
      expect(image.status).toBe(200);
      expect(image.headers.get("content-type")).toBe("image/png");
      expect(image.headers.get("x-content-type-options")).toBe("nosniff");
      expect(Buffer.from(await image.arrayBuffer()).equals(PNG)).toBe(true);
      const head = await fetch(url, { method: "HEAD" });
      expect(head.headers.get("content-length")).toBe(String(PNG.length));

      const updated = await call<{ avatarUrl: string }>(server.url, "user.updateProfile", {
        token,
        input: { avatarUrl: url },
      });
      expect(updated.data!.avatarUrl).toBe(url);
    });

    it("needs a live session, with the same reasons as every call", async () => {
      const none = await uploadAvatar(server, PNG);
      expect(none.status).toBe(401);
      expect(none.error!.data).toMatchObject({ reason: "NO_TOKEN", action: "relogin", path: "user.uploadAvatar" });
      const garbage = await uploadAvatar(server, PNG, { token: "garbage" });
      expect(garbage.error!.data.reason).toBe("MALFORMED_TOKEN");
    });

    it("refuses files over 2 MB, and bodies far over it before reading them whole", async () => {
      const big = await uploadAvatar(server, Buffer.concat([PNG, Buffer.alloc(2 * 1024 * 1024 + 1)]), { token });
      expect(big.status).toBe(413);
      expect(big.error!.data.reason).toBe("UPLOAD_TOO_LARGE");
      const huge = await uploadAvatar(server, Buffer.alloc(3 * 1024 * 1024), { token });
      expect(huge.status).toBe(413);
      expect(huge.error!.data.reason).toBe("UPLOAD_TOO_LARGE");
    });

    it("judges the type by content, not by the declared Content-Type", async () => {
      const result = await uploadAvatar(server, Buffer.from("<svg onload=alert(1)></svg>"), {
        token,
        type: "image/png",
      });
      expect(result.status).toBe(415);
      expect(result.error!.data.reason).toBe("UPLOAD_UNSUPPORTED_TYPE");
    });

    it("wants the field named file", async () => {
      const result = await uploadAvatar(server, PNG, { token, field: "avatar" });
      expect(result.status).toBe(400);
      expect(result.error!.message).toMatch(/named "file"/);
    });

    it("refuses a JSON body (and JSON calls keep their 64 KB limit on this path)", async () => {
      const json = await call(server.url, "user.uploadAvatar", { token, input: {} });
      expect(json.status).toBe(400);
      expect(json.error!.data.reason).toBe("INVALID_INPUT");
      const big = await call(server.url, "user.uploadAvatar", { token, rawBody: JSON.stringify("x".repeat(100_000)) });
      expect(big.status).toBe(413);
    });

    it("answers a truncated multipart body with INVALID_INPUT and keeps serving", async () => {
      const body = `--XyZ\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n${PNG.toString("latin1").slice(0, 20)}`;
      const answer = await rawExchange(multipartHead(body) + body);
      expect(answer).toMatch(/^HTTP\/1\.1 400/);
      expect(answer).toContain('"reason":"INVALID_INPUT"');
      const garbage = "this is not multipart at all";
      expect(await rawExchange(multipartHead(garbage) + garbage)).toMatch(/^HTTP\/1\.1 400/);
      // A client that promises more bytes than it sends and hangs up.
      await rawExchange(multipartHead(body, body.length + 5000) + body, { end: true, ms: 500 });
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    });

    it("points the former path to the mutation", async () => {
      const result = await request(`${server.url}/uploads/avatar`, { method: "POST", body: "x" });
      expect(result.status).toBe(404);
      expect(result.error!.data.reason).toBe("ROUTE_NOT_FOUND");
      expect(result.error!.message).toMatch(/user\.uploadAvatar/);
    });
  });

  describe("GET /uploads/avatars/<name>", () => {
    it("serves only stored names (no path traversal), in the error envelope", async () => {
      for (const name of ["..%2F..%2Fpackage.json", "../../package.json", "x.png", `${"a".repeat(32)}.png`]) {
        const result = await request(`${server.url}/uploads/avatars/${name}`);
        expect(result.status).toBe(404);
        expect(result.error!.data).toMatchObject({ code: "NOT_FOUND", reason: "ROUTE_NOT_FOUND", httpStatus: 404 });
      }
    });

    it("answers 404 for a file removed from disk, and 405 to other methods", async () => {
      const { data } = await uploadAvatar(server, PNG, { token });
      rmSync(path.join(server.uploadDir, "avatars", data!.url.split("/").at(-1)!));
      expect((await request(data!.url)).error!.data.reason).toBe("ROUTE_NOT_FOUND");
      const post = await request(data!.url, { method: "POST" });
      expect(post.status).toBe(405);
      expect(post.error!.data.reason).toBe("METHOD_NOT_ALLOWED");
    });
  });

  describe("abuse limits on avatars", () => {
    it("limits one user's uploads per hour (UPLOAD_RATE_LIMIT_PER_USER) with 429 and when to retry", async () => {
      const limited = await startTestServer({ UPLOAD_RATE_LIMIT_PER_USER: "2" }, { engine });
      try {
        const mine = (await loginAs(limited)).token;
        expect((await uploadAvatar(limited, PNG, { token: mine })).status).toBe(200);
        expect((await uploadAvatar(limited, PNG, { token: mine })).status).toBe(200);
        const over = await uploadAvatar(limited, PNG, { token: mine });
        expect(over.status).toBe(429);
        expect(over.error!.data).toMatchObject({ reason: "UPLOAD_RATE_LIMITED", code: "TOO_MANY_REQUESTS" });
        expect(over.error!.data.retryAfterSeconds).toBeGreaterThan(0);
        const other = (await loginAs(limited)).token;
        expect((await uploadAvatar(limited, PNG, { token: other })).status).toBe(200);
      } finally {
        await limited.close();
      }
    });

    it("deletes the file of a replaced avatar: its URL answers 404", async () => {
      const me = (await loginAs(server)).token;
      const first = (await uploadAvatar(server, PNG, { token: me })).data!.url;
      await call(server.url, "user.updateProfile", { token: me, input: { avatarUrl: first } });
      const second = (await uploadAvatar(server, PNG, { token: me })).data!.url;
      await call(server.url, "user.updateProfile", { token: me, input: { avatarUrl: second } });
      expect((await request(first)).status).toBe(404);
      expect((await fetch(second)).status).toBe(200);
    });

    it("in production with the mock WeChat and no PUBLIC_URL, builds URLs from the request and warns once", async () => {
      const demo = await startTestServer({ NODE_ENV: "production", WX_MOCK: "1" }, { engine });
      try {
        const demoToken = (await loginAs(demo)).token;
        expect((await uploadAvatar(demo, PNG, { token: demoToken })).data!.url).toMatch(/^http:\/\/127\.0\.0\.1:/);
        await uploadAvatar(demo, PNG, { token: demoToken });
        expect(demo.logs.lines.filter((line) => line.includes("PUBLIC_URL is not set"))).toHaveLength(1);
      } finally {
        await demo.close();
      }
    });

    it("with PUBLIC_URL, a forged Host header does not reach the URL", async () => {
      const pinned = await startTestServer({ PUBLIC_URL: "https://api.example.com" }, { engine });
      try {
        const pinnedToken = (await loginAs(pinned)).token;
        const raw = await new Promise<string>((resolve) => {
          const form = `--XyZ\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n${PNG.toString("latin1")}\r\n--XyZ--\r\n`;
          const socket = net.connect(Number(new URL(pinned.url).port), "127.0.0.1");
          let answer = "";
          socket.on("data", (chunk) => (answer += chunk.toString("latin1")));
          socket.on("close", () => resolve(answer));
          socket.write(
            `POST /trpc/user.uploadAvatar HTTP/1.1\r\nHost: evil.example.net\r\nAuthorization: Bearer ${pinnedToken}\r\n` +
              `Content-Type: multipart/form-data; boundary=XyZ\r\nContent-Length: ${Buffer.byteLength(form, "latin1")}\r\nConnection: close\r\n\r\n` +
              form,
            "latin1",
          );
        });
        expect(raw).toMatch(/"url":"https:\/\/api\.example\.com\/uploads\/avatars\//);
        expect(raw).not.toContain("evil.example.net");
      } finally {
        await pinned.close();
      }
    });
  });
});
