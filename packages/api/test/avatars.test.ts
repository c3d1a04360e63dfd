import { text } from "node:stream/consumers";
import { AVATAR_MAX_BYTES } from "@mp-auth/contract";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AVATAR_PATH_PREFIX, storedAvatarType } from "../src/index.ts";
import { attempt, loginAs, startApiHarness, type ApiHarness } from "./api-harness.ts";

/** A valid 1x1 PNG. */
const PNG = Buffer.from(
  "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201a5d1e5a10000000049454e44ae426082",
  "hex",
);
const GIF = Buffer.from("GIF89a\x01\x00\x01\x00\x00\x00\x00;", "latin1");

let api: ApiHarness;
let token: string;
beforeAll(async () => {
  api = await startApiHarness();
  ({ token } = await loginAs(api));
});
afterAll(async () => api?.close());

function form(bytes: Uint8Array, options: { field?: string; type?: string } = {}) {
  const data = new FormData();
  data.append(options.field ?? "file", new Blob([bytes], { type: options.type ?? "image/png" }), "avatar.png");
  return data;
}

describe("user.uploadAvatar", () => {
  it("stores the file under a random name in the AvatarStore and answers its public URL", async () => {
    const { url } = await api.caller(token).user.uploadAvatar(form(PNG));
    expect(url).toMatch(/^https:\/\/api\.example\.com\/uploads\/avatars\/[0-9a-f]{32}\.png$/);
    const name = url.slice(url.indexOf(AVATAR_PATH_PREFIX) + AVATAR_PATH_PREFIX.length);
    expect(storedAvatarType(name)).toBe("image/png");
    const stored = await api.deps.avatarStore.get(name);
    expect(stored!.size).toBe(PNG.length);
    stored!.body.destroy();
    const again = await api.caller(token).user.uploadAvatar(form(PNG));
    expect(again.url).not.toBe(url);
    // The URL is one user.updateProfile accepts.
    await expect(api.caller(token).user.updateProfile({ avatarUrl: url })).resolves.toMatchObject({ avatarUrl: url });
  });

  it("judges the type by the first bytes, not the declared type", async () => {
    const gif = await api.caller(token).user.uploadAvatar(form(GIF, { type: "image/png" }));
    expect(gif.url).toMatch(/\.gif$/);
    const svg = await attempt(
      api.caller(token).user.uploadAvatar(form(Buffer.from("<svg onload=alert(1)></svg>"), { type: "image/png" })),
    );
    expect(svg.status).toBe(415);
    expect(svg.error!.data).toMatchObject({ reason: "UPLOAD_UNSUPPORTED_TYPE", action: "show" });
  });

  it("refuses a file over AVATAR_MAX_BYTES", async () => {
    const result = await attempt(
      api.caller(token).user.uploadAvatar(form(Buffer.concat([PNG, Buffer.alloc(AVATAR_MAX_BYTES)]))),
    );
    expect(result.status).toBe(413);
    expect(result.error!.data.reason).toBe("UPLOAD_TOO_LARGE");
  });

  it("wants the file in the field named file", async () => {
    const result = await attempt(api.caller(token).user.uploadAvatar(form(PNG, { field: "avatar" })));
    expect(result.status).toBe(400);
    expect(result.error!.data.reason).toBe("INVALID_INPUT");
    expect(result.error!.data.issues).toEqual([expect.objectContaining({ path: "file" })]);
    expect(result.error!.message).toMatch(/named "file"/);
  });

  it("needs a live session, like every protected call", async () => {
    const result = await attempt(api.caller().user.uploadAvatar(form(PNG)));
    expect(result.error!.data).toMatchObject({ reason: "NO_TOKEN", action: "relogin" });
  });

  it("the local store answers undefined for a deleted file, and reads a file deleted while open", async () => {
    const { url } = await api.caller(token).user.uploadAvatar(form(GIF));
    const name = url.split("/").at(-1)!;
    const open = await api.deps.avatarStore.get(name);
    await api.deps.avatarStore.delete(name);
    expect(await text(open!.body)).toBe(GIF.toString("utf8"));
    expect(await api.deps.avatarStore.get(name)).toBeUndefined();
    await expect(api.deps.avatarStore.delete(name)).resolves.toBeUndefined();
  });
});
