import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import type { AppRouter } from "@mp-auth/api";
import type { RunningServer } from "@mp-auth/server";
import { createMiniappClient } from "@mp-auth/taro-link";
import { mintLoginCode } from "@mp-auth/wechat/mock";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { confirmAndDeleteAccount } from "../src/services/account-deletion";
import { uploadAvatarFile } from "../src/services/avatar-upload";
import { nicknameRefusal } from "../src/services/nickname";
import { userFacingError } from "../src/services/user-facing-error";
import { FetchTaro } from "./helpers/fetch-taro";
import { startTestServer } from "./helpers/real-server";

// The real server (temp SQLite, its in-process mock WeChat) over loopback HTTP, called through the
// real taro-link client the mini-program uses: what the server answers is what the pages word.

let server: RunningServer;
let stopServer: (() => Promise<void>) | undefined;

beforeAll(async () => {
  ({ server, close: stopServer } = await startTestServer("errors"));
});

afterAll(async () => {
  await stopServer?.();
});

function launch(url = server.trpcUrl) {
  const taro = new FetchTaro();
  const logins = { count: 0 };
  const openid = `o-${randomBytes(6).toString("hex")}`;
  const { client, session, authenticated } = createMiniappClient<AppRouter>({
    url,
    taro,
    codeSource: async () => {
      logins.count++;
      return (await mintLoginCode(server.mockWechatUrl!, { openid })).code;
    },
    retry: { retries: 0 },
  });
  return { client, session, authenticated, taro, logins };
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

describe("the server's refusals, as the mini-program words them", () => {
  it("words each nickname refusal as the pre-check does, so the page never says two things", async () => {
    const { client } = launch();
    const refused = [
      "一二三四五六七八九十一二三四五六七八九十🐼", // too_long
      "   ", // too_small
      "第一行\n第二行", // control_characters
      "坏\ud83d", // broken_emoji
    ];
    for (const nickname of refused) {
      const error = await client.user.updateProfile.mutate({ nickname }).then(
        () => undefined,
        (failure: unknown) => failure,
      );
      expect(error, JSON.stringify(nickname)).toBeDefined();
      const described = userFacingError(error, "nickname");
      expect(described.reason).toBe("INVALID_INPUT");
      expect(described.action).toBe("show");
      expect(described.serverMessage).toMatch(/nickname/);
      expect(described.message, JSON.stringify(nickname)).toBe(nicknameRefusal(nickname)?.message);
    }
    expect((await client.user.me.query()).nickname).toBeNull();
  });

  it("uploads an avatar, words a refused file, and logs in once when the token was revoked", async () => {
    const { client, session, authenticated, taro, logins } = launch();
    const deps = { apiUrl: server.trpcUrl, uploadFile: taro.uploadFile, authenticated };
    // Signed in as the app is at launch; the upload itself never logs in first.
    await session.ensureSession();
    taro.files.set("wxfile://tmp_ok.png", new Uint8Array([...PNG_SIGNATURE, 1, 2, 3, 4]));
    taro.files.set("wxfile://tmp_text.png", new TextEncoder().encode("not an image"));

    const url = await uploadAvatarFile("wxfile://tmp_ok.png", deps);
    expect(url).toMatch(/\/uploads\/avatars\/[0-9a-f]{32}\.png$/);
    expect((await client.user.updateProfile.mutate({ avatarUrl: url })).avatarUrl).toBe(url);
    expect(logins.count).toBe(1);

    const refusal = await uploadAvatarFile("wxfile://tmp_text.png", deps).catch((error: unknown) => error);
    expect(userFacingError(refusal, "avatar")).toMatchObject({
      reason: "UPLOAD_UNSUPPORTED_TYPE",
      action: "show",
      message: "仅支持 PNG、JPEG、GIF、WebP 格式的图片",
    });

    // Another device (or the sessions page) ends this session: the upload logs in once and resends.
    const revokedToken = session.getToken();
    const revoked = await fetch(`${server.trpcUrl}/auth.logout`, {
      method: "POST",
      headers: { authorization: `Bearer ${revokedToken}`, "content-type": "application/json" },
    });
    expect(revoked.status).toBe(200);
    await expect(uploadAvatarFile("wxfile://tmp_ok.png", deps)).resolves.toMatch(
      /\/uploads\/avatars\/[0-9a-f]{32}\.png$/,
    );
    expect(logins.count).toBe(2);
    expect(session.getToken()).not.toBe(revokedToken);
  });

  it("words a server that cannot be reached as a network failure to retry", async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, "127.0.0.1", () => {
        const { port } = probe.address() as { port: number };
        probe.close(() => resolve(port));
      });
    });
    const { session } = launch(`http://127.0.0.1:${closedPort}/trpc`);
    const error = await session.ensureSession().catch((failure: unknown) => failure);
    expect(userFacingError(error)).toMatchObject({
      reason: "NETWORK",
      action: "retry",
      retryable: true,
      message: "无法连接服务器，请检查网络后重试",
    });
  });
});

describe("account deletion, through the real client", () => {
  it("asks first, deletes only on confirmation, signs out, and the next login is a new account", async () => {
    const { client, session } = launch();
    const before = await client.user.me.query();
    const asked: string[] = [];
    const signOuts = { count: 0 };
    const deps = (confirm: boolean) => ({
      showModal: async (options: { title: string; content: string }) => {
        asked.push(options.content);
        return { confirm };
      },
      deleteAccount: (input: { confirm: "DELETE" }) => client.user.deleteAccount.mutate(input),
      signOut: () => {
        signOuts.count++;
        session.clear();
      },
    });

    expect(await confirmAndDeleteAccount(deps(false))).toEqual({ kind: "cancelled" });
    expect(await client.user.me.query()).toMatchObject({ id: before.id });
    expect(signOuts.count).toBe(0);

    expect(await confirmAndDeleteAccount(deps(true))).toEqual({ kind: "deleted" });
    expect(asked).toHaveLength(2);
    expect(asked[0]).toMatch(/永久删除/);
    expect(signOuts.count).toBe(1);
    expect(session.getToken()).toBeNull();

    // Signed in again (the same WeChat user): a new, empty account.
    const after = await client.user.me.query();
    expect(after.id).not.toBe(before.id);
    expect(after).toMatchObject({ nickname: null, avatarUrl: null, phoneNumber: null });
  });

  it("words a refused deletion and stays signed in", async () => {
    const { client, session } = launch();
    await client.user.me.query();
    const outcome = await confirmAndDeleteAccount({
      showModal: async () => ({ confirm: true }),
      // What an outdated build would send: the server refuses it.
      deleteAccount: () => client.user.deleteAccount.mutate({ confirm: "delete" as "DELETE" }),
      signOut: () => session.clear(),
    });
    expect(outcome).toMatchObject({
      kind: "failed",
      problem: { reason: "INVALID_INPUT", action: "show", message: "注销确认无效，请重新操作" },
    });
    expect(session.getToken()).not.toBeNull();
  });
});
