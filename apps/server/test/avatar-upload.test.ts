import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, loginAs, startTestServer, type TestServer } from "./harness.ts";

/** A valid 1x1 PNG. */
const PNG = Buffer.from(
  "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201a5d1e5a10000000049454e44ae426082",
  "hex",
);

let server: TestServer;
let token: string;
beforeAll(async () => {
  server = await startTestServer();
  ({ token } = await loginAs(server));
});
afterAll(async () => server?.close());

async function upload(body: Buffer, options: { token?: string; field?: string; type?: string } = {}) {
  const form = new FormData();
  form.append(options.field ?? "file", new Blob([body], { type: options.type ?? "image/png" }), "avatar.png");
  const headers: Record<string, string> = {};
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  const response = await fetch(`${server.url}/uploads/avatar`, { method: "POST", body: form, headers });
  return {
    status: response.status,
    body: (await response.json()) as { url?: string; error?: { reason: string; message: string } },
  };
}

describe("POST /uploads/avatar", () => {
  it("stores a PNG, serves it back, and user.updateProfile accepts its URL", async () => {
    const result = await upload(PNG, { token });
    expect(result.status).toBe(200);
    expect(result.body.url).toMatch(new RegExp(`^${server.url}/uploads/avatars/[0-9a-f]{32}\\.png$`));

    const image = await fetch(result.body.url!);
    expect(image.status).toBe(200);
    expect(image.headers.get("content-type")).toBe("image/png");
    expect(Buffer.from(await image.arrayBuffer()).equals(PNG)).toBe(true);

    const updated = await call<{ avatarUrl: string }>(server.url, "user.updateProfile", {
      token,
      input: { avatarUrl: result.body.url },
    });
    expect(updated.data!.avatarUrl).toBe(result.body.url);
  });

  it("needs a live session", async () => {
    expect((await upload(PNG)).body.error!.reason).toBe("NO_TOKEN");
    const garbage = await upload(PNG, { token: "garbage" });
    expect(garbage.status).toBe(401);
    expect(garbage.body.error!.reason).toBe("MALFORMED_TOKEN");
  });

  it("refuses files over 2 MB", async () => {
    const big = Buffer.concat([PNG, Buffer.alloc(2 * 1024 * 1024 + 1)]);
    const result = await upload(big, { token });
    expect(result.status).toBe(413);
    expect(result.body.error!.reason).toBe("UPLOAD_TOO_LARGE");
  });

  it("judges the type by content, not by the declared Content-Type", async () => {
    const result = await upload(Buffer.from("<svg onload=alert(1)></svg>"), { token, type: "image/png" });
    expect(result.status).toBe(415);
    expect(result.body.error!.reason).toBe("UPLOAD_UNSUPPORTED_TYPE");
  });

  it("wants the field named file", async () => {
    const result = await upload(PNG, { token, field: "avatar" });
    expect(result.status).toBe(400);
    expect(result.body.error!.message).toMatch(/named "file"/);
  });

  it("refuses a body that is not multipart", async () => {
    const response = await fetch(`${server.url}/uploads/avatar`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: "{}",
    });
    expect(response.status).toBe(400);
  });

  it("serves only stored names (no path traversal)", async () => {
    for (const name of ["..%2F..%2Fpackage.json", "../../package.json", "x.png", `${"a".repeat(32)}.png`]) {
      const response = await fetch(`${server.url}/uploads/avatars/${name}`);
      expect(response.status).toBe(404);
    }
  });
});
