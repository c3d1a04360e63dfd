import { text } from "node:stream/consumers";
import { AVATAR_MAX_BYTES } from "@mp-auth/contract";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AVATAR_PATH_PREFIX, storedAvatarType, sweepUnreferencedAvatars } from "../src/index.ts";
import { attempt, loginAs, startApiHarness, type ApiHarness, apiTestEngines } from "./api-harness.ts";

describe.each(await apiTestEngines())("on %s", (engine) => {
  /** A valid 1x1 PNG. */
  const PNG = Buffer.from(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201a5d1e5a10000000049454e44ae426082",
    "hex",
  );
  const GIF = Buffer.from("GIF89a\x01\x00\x01\x00\x00\x00\x00;", "latin1");

  let api: ApiHarness;
  let token: string;
  beforeAll(async () => {
    api = await startApiHarness({ engine });
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

  const nameOf = (url: string) => url.slice(url.indexOf(AVATAR_PATH_PREFIX) + AVATAR_PATH_PREFIX.length);
  const stored = async (url: string) => {
    const file = await api.deps.avatarStore.get(nameOf(url));
    file?.body.destroy();
    return file !== undefined;
  };

  describe("per-user upload limit", () => {
    it("refuses a user's uploads over the hourly limit with UPLOAD_RATE_LIMITED and when to retry", async () => {
      const limited = await startApiHarness({ engine, uploadRateLimitPerHour: 2 });
      try {
        const mine = (await loginAs(limited)).token;
        const other = (await loginAs(limited)).token;
        const upload = (who: string) => attempt(limited.caller(who).user.uploadAvatar(form(PNG)));
        expect((await upload(mine)).status).toBe(200);
        // Refused uploads count too: each one is a body the server had to read.
        const refused = await attempt(limited.caller(mine).user.uploadAvatar(form(Buffer.from("not an image"))));
        expect(refused.status).toBe(415);
        const over = await upload(mine);
        expect(over.status).toBe(429);
        expect(over.error!.data).toMatchObject({ reason: "UPLOAD_RATE_LIMITED", action: "retry", retryable: true });
        expect(over.error!.data.retryAfterSeconds).toBeGreaterThan(0);
        expect(over.error!.data.retryAfterSeconds).toBeLessThanOrEqual(3600);
        // Per user: another user is not affected.
        expect((await upload(other)).status).toBe(200);
      } finally {
        await limited.close();
      }
    });
  });

  describe("replaced and abandoned avatars are deleted", () => {
    it("deletes the previous uploaded avatar when the profile gets a new one, or none", async () => {
      const me = (await loginAs(api)).token;
      const first = (await api.caller(me).user.uploadAvatar(form(PNG))).url;
      await api.caller(me).user.updateProfile({ avatarUrl: first });
      const second = (await api.caller(me).user.uploadAvatar(form(GIF))).url;
      await api.caller(me).user.updateProfile({ avatarUrl: second });
      expect(await stored(first)).toBe(false);
      expect(await stored(second)).toBe(true);
      // Setting the same URL again keeps it; a nickname-only change keeps it.
      await api.caller(me).user.updateProfile({ avatarUrl: second });
      await api.caller(me).user.updateProfile({ nickname: "换头像" });
      expect(await stored(second)).toBe(true);
      await api.caller(me).user.updateProfile({ avatarUrl: null });
      expect(await stored(second)).toBe(false);
    });

    it("never deletes a file another user's profile shows, nor files that are not ours", async () => {
      const victim = (await loginAs(api)).token;
      const attacker = (await loginAs(api)).token;
      const victimsUrl = (await api.caller(victim).user.uploadAvatar(form(PNG))).url;
      await api.caller(victim).user.updateProfile({ avatarUrl: victimsUrl });
      // The attacker points its profile at the victim's file, then replaces it.
      await api.caller(attacker).user.updateProfile({ avatarUrl: victimsUrl });
      await api.caller(attacker).user.updateProfile({ avatarUrl: "https://cdn.example.com/a.png" });
      expect(await stored(victimsUrl)).toBe(true);
      // The same name under a foreign origin is the same stored file: still protected.
      await api
        .caller(attacker)
        .user.updateProfile({ avatarUrl: `https://evil.example.com${new URL(victimsUrl).pathname}` });
      await api.caller(attacker).user.updateProfile({ avatarUrl: null });
      expect(await stored(victimsUrl)).toBe(true);
    });

    it("sweeps uploads no profile references once they are older than the grace period", async () => {
      const me = (await loginAs(api)).token;
      const kept = (await api.caller(me).user.uploadAvatar(form(PNG))).url;
      await api.caller(me).user.updateProfile({ avatarUrl: kept });
      const abandoned = (await api.caller(me).user.uploadAvatar(form(PNG))).url;
      // Too young: a user between upload and updateProfile keeps the file.
      expect(await sweepUnreferencedAvatars(api.deps, new Date(Date.now() - 3600_000))).toBe(0);
      expect(await stored(abandoned)).toBe(true);
      const swept = await sweepUnreferencedAvatars(api.deps, new Date(Date.now() + 60_000));
      expect(swept).toBeGreaterThanOrEqual(1);
      expect(await stored(abandoned)).toBe(false);
      expect(await stored(kept)).toBe(true);
    });
  });
});
