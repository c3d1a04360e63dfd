import { ACCOUNT_DELETION_CONFIRMATION } from "@mp-auth/contract";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDatabaseAvatarStore, type AvatarStore } from "../src/index.ts";
import { banUser, deleteAccount, getAccountStatus, unbanUser } from "../src/index.ts";
import { attempt, loginAs, startApiHarness, type ApiHarness, apiTestEngines } from "./api-harness.ts";

/** A valid 1x1 PNG. */
const PNG = Buffer.from(
  "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201a5d1e5a10000000049454e44ae426082",
  "hex",
);

/** Whether the store holds the name (the opened file is closed again). */
async function holds(store: AvatarStore, name: string): Promise<boolean> {
  const found = await store.get(name);
  found?.body.destroy();
  return found !== undefined;
}

function form(bytes: Uint8Array) {
  const data = new FormData();
  data.append("file", new Blob([bytes], { type: "image/png" }), "avatar.png");
  return data;
}

// On SQLite the in-process session cache answers protected calls; on PostgreSQL / MariaDB the
// harness wires the Redis stores, so the Redis session cache does: a ban must get past both.
describe.each(await apiTestEngines())("on %s", (engine) => {
  let api: ApiHarness;
  beforeAll(async () => {
    api = await startApiHarness({ engine });
  });
  afterAll(async () => api?.close());

  describe("banUser / unbanUser", () => {
    it("ends every session at once, refuses calls and logins with ACCOUNT_BANNED, and lifts", async () => {
      const first = await loginAs(api);
      const second = await loginAs(api, first.openid);
      // Both tokens answered once, so both sit in the session cache.
      for (const { token } of [first, second]) await api.caller(token).user.me();

      const banned = await banUser(api.deps, { userId: first.user.id, reason: "spam reports #12" });
      expect(banned).toMatchObject({
        state: "banned",
        sessionsEnded: 2,
        ban: { reason: "spam reports #12", until: null },
      });

      for (const { token } of [first, second]) {
        const refused = await attempt(api.caller(token).user.me());
        expect(refused.status).toBe(403);
        expect(refused.error?.data).toMatchObject({ reason: "ACCOUNT_BANNED", action: "block", retryable: false });
        // Until lifted: no end time; and never the operator's note.
        expect(refused.error?.data).not.toHaveProperty("blockedUntil");
        expect(JSON.stringify(refused.error)).not.toContain("spam");
      }
      const relogin = await attempt(loginAs(api, first.openid));
      expect(relogin.error?.data).toMatchObject({ reason: "ACCOUNT_BANNED", action: "block" });
      // The refused login left no session behind.
      expect(await api.db.session.count({ where: { userId: first.user.id, revokedAt: null } })).toBe(0);
      expect(await getAccountStatus(api.deps, { userId: first.user.id })).toMatchObject({ state: "banned" });

      expect(await unbanUser(api.deps, { userId: first.user.id })).toMatchObject({ state: "active", ban: null });
      // Sessions the ban ended stay ended: the client logs in again, and that works.
      expect((await attempt(api.caller(first.token).user.me())).error?.data.reason).toBe("REVOKED");
      const after = await loginAs(api, first.openid);
      expect(after.user.id).toBe(first.user.id);
      expect(await api.caller(after.token).user.me()).toMatchObject({ id: first.user.id });
    });

    it("sends the end of a timed ban, and lets the user back in by itself once it has passed", async () => {
      const user = await loginAs(api);
      const until = new Date(Date.now() + 1500);
      await banUser(api.deps, { userId: user.user.id, reason: "cooling off", until });
      const refused = await attempt(loginAs(api, user.openid));
      expect(refused.error?.data).toMatchObject({ reason: "ACCOUNT_BANNED", blockedUntil: until.toISOString() });
      const call = await attempt(api.caller(user.token).user.me());
      expect(call.error?.data).toMatchObject({ reason: "ACCOUNT_BANNED", blockedUntil: until.toISOString() });

      await new Promise((resolve) => setTimeout(resolve, until.getTime() - Date.now() + 50));
      expect(await getAccountStatus(api.deps, { userId: user.user.id })).toMatchObject({ state: "active" });
      // The old session was ended by the ban: REVOKED now, so the client simply logs in again.
      expect((await attempt(api.caller(user.token).user.me())).error?.data.reason).toBe("REVOKED");
      const again = await loginAs(api, user.openid);
      expect(again.user.id).toBe(user.user.id);
    });

    it("refuses bad operator input and unknown users with the taxonomy's reasons", async () => {
      const { user } = await loginAs(api);
      const reasonOf = async (call: Promise<unknown>) => (await attempt(call)).error?.data.reason;
      expect(await reasonOf(banUser(api.deps, { userId: user.id, reason: "  " }))).toBe("INVALID_INPUT");
      expect(await reasonOf(banUser(api.deps, { userId: user.id, reason: "x".repeat(501) }))).toBe("INVALID_INPUT");
      const past = await attempt(
        banUser(api.deps, { userId: user.id, reason: "late", until: new Date(Date.now() - 1) }),
      );
      expect(past.error?.data).toMatchObject({ reason: "INVALID_INPUT", issues: [{ path: "until" }] });
      expect(await reasonOf(banUser(api.deps, { userId: "nobody", reason: "x" }))).toBe("NOT_FOUND");
      expect(await reasonOf(unbanUser(api.deps, { userId: "nobody" }))).toBe("NOT_FOUND");
      expect(await reasonOf(getAccountStatus(api.deps, { userId: "" }))).toBe("INVALID_INPUT");
      expect(await getAccountStatus(api.deps, { userId: user.id })).toEqual({
        userId: user.id,
        state: "active",
        ban: null,
        deletedAt: null,
      });
    });
  });

  describe("user.deleteAccount", () => {
    it("needs the explicit confirmation", async () => {
      const { token } = await loginAs(api);
      for (const input of [{}, { confirm: "delete" }, { confirm: true }, { confirm: "DELETE", extra: 1 }]) {
        const refused = await attempt(api.caller(token).user.deleteAccount(input as never));
        expect(refused.error?.data.reason).toBe("INVALID_INPUT");
      }
      expect(await api.caller(token).user.me()).toBeTruthy();
    });

    it("ends every session, erases personal data and the avatar file, and a new login starts a new account", async () => {
      const first = await loginAs(api);
      const other = await loginAs(api, first.openid);
      const { url } = await api.caller(first.token).user.uploadAvatar(form(PNG));
      await api.caller(first.token).user.updateProfile({ nickname: "小明", avatarUrl: url });
      await api.db.user.update({
        where: { id: first.user.id },
        data: { phoneNumber: "13800138000", phoneCountryCode: "86", phoneBoundAt: new Date(), unionid: "union-1" },
      });
      const stored = url.slice(url.lastIndexOf("/") + 1);
      expect(await holds(api.deps.avatarStore, stored)).toBe(true);
      await api.caller(other.token).user.me();

      expect(await api.caller(first.token).user.deleteAccount({ confirm: ACCOUNT_DELETION_CONFIRMATION })).toEqual({
        ok: true,
      });

      for (const { token } of [first, other]) {
        expect((await attempt(api.caller(token).user.me())).error?.data.reason).toBe("UNKNOWN_TOKEN");
      }
      expect(await holds(api.deps.avatarStore, stored)).toBe(false);
      const tombstone = await api.db.user.findUniqueOrThrow({ where: { id: first.user.id } });
      expect(tombstone).toMatchObject({
        appid: api.mock.appid,
        openid: `deleted:${first.user.id}`,
        unionid: null,
        nickname: null,
        avatarUrl: null,
        phoneNumber: null,
        phoneCountryCode: null,
        phoneBoundAt: null,
        sessionKeyCiphertext: null,
        sessionKeyUpdatedAt: null,
      });
      expect(tombstone.deletedAt).toBeInstanceOf(Date);
      expect(await api.db.session.count({ where: { userId: first.user.id } })).toBe(0);
      expect(await getAccountStatus(api.deps, { userId: first.user.id })).toMatchObject({ state: "deleted" });

      const fresh = await loginAs(api, first.openid);
      expect(fresh.user.id).not.toBe(first.user.id);
      expect(fresh.user).toMatchObject({ nickname: null, avatarUrl: null, phoneNumber: null });
      // A deleted account is gone for operators too.
      expect((await attempt(deleteAccount(api.deps, { userId: first.user.id }))).error?.data.reason).toBe("NOT_FOUND");
      expect((await attempt(banUser(api.deps, { userId: first.user.id, reason: "x" }))).error?.data.reason).toBe(
        "NOT_FOUND",
      );
    });

    it("deletes the avatar from the database store, but not a file another profile still shows", async () => {
      const store = createDatabaseAvatarStore(api.db);
      const deps = { ...api.deps, avatarStore: store };
      const owner = await loginAs(api);
      const borrower = await loginAs(api);
      const name = `${"a".repeat(32)}.png`;
      const shared = `${"b".repeat(32)}.png`;
      await store.put(name, PNG);
      await store.put(shared, PNG);
      await api.db.user.update({
        where: { id: owner.user.id },
        data: { avatarUrl: `https://api.example.com/uploads/avatars/${name}` },
      });
      await api.db.user.update({
        where: { id: borrower.user.id },
        data: { avatarUrl: `https://api.example.com/uploads/avatars/${shared}` },
      });
      await deleteAccount(deps, { userId: owner.user.id });
      expect(await holds(store, name)).toBe(false);

      const lender = await loginAs(api);
      await api.db.user.update({
        where: { id: lender.user.id },
        data: { avatarUrl: `https://api.example.com/uploads/avatars/${shared}` },
      });
      await deleteAccount(deps, { userId: lender.user.id });
      expect(await holds(store, shared)).toBe(true);
    });
  });
});
