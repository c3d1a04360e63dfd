import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startServer, type RunningServer } from "@mp-auth/server";
import { getMockStats, injectFault, mintLoginCode, mintPhoneCode } from "@mp-auth/wechat/mock";
import { miniappRoot, taroBuild } from "../scripts/taro-build";
import { listFiles } from "../scripts/weapp-size";
import { launchChromium } from "./helpers/browser";
import { createPng } from "./helpers/png";
import { serveStatic, type StaticServer } from "./helpers/static-server";
import { callTrpc, expectOk } from "./helpers/trpc-http";

/**
 * The H5 build of the mini-program against the real server and the mock WeChat, in Chromium.
 * Steps run in order and share one page (and one build, ~25 s): each starts from where the
 * previous one left off, the profile steps after the sign-in and sessions steps.
 */

const ARTIFACTS_DIR = path.join(miniappRoot, "test-artifacts", "e2e");
const H5_OUTPUT_DIR = "dist/e2e/h5";
const SESSION_STORAGE_KEY = "mp-auth.session";
const MOCK_OPENID_STORAGE_KEY = "mp-auth.mock-openid";
const CODE2SESSION_PATH = "/sns/jscode2session";
const PHONE_NUMBER_PATH = "/wxa/business/getuserphonenumber";

interface DeviceSession {
  id: string;
  current: boolean;
}

interface Profile {
  id: string;
  nickname: string | null;
  avatarUrl: string | null;
  phoneNumber: string | null;
}

let server: RunningServer;
let mockWechatUrl: string;
let site: StaticServer;
let context: BrowserContext;
let page: Page;
let workDir: string;
let userDataDir: string;
const serverLog: string[] = [];
const browserLog: string[] = [];
/** Every auth.login the page sent (batched URLs contain each procedure name). */
const pageLogins: string[] = [];
/** Every answer the page got from the tRPC endpoint, in order. */
const pageTrpcAnswers: { method: string; path: string; status: number; contentType: string }[] = [];

beforeAll(async () => {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  workDir = mkdtempSync(path.join(tmpdir(), "mp-auth-e2e-"));
  server = await startServer({
    env: {
      NODE_ENV: "test",
      HOST: "127.0.0.1",
      PORT: "0",
      WX_MOCK_PORT: "0",
      DATABASE_URL: `file:${path.join(workDir, "e2e.db")}`,
      SESSION_KEY_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
      LOG_LEVEL: "info",
    },
    logDestination: { write: (line: string) => void serverLog.push(line) },
  });
  if (!server.mockWechatUrl) throw new Error("the server did not start its mock WeChat");
  mockWechatUrl = server.mockWechatUrl;

  // The ports are only known now, so the page is built for them (about 25 s).
  await taroBuild({
    platform: "h5",
    outputDir: H5_OUTPUT_DIR,
    clientEnv: { TARO_APP_API_URL: server.trpcUrl, TARO_APP_WX_MOCK_URL: mockWechatUrl },
  });
  site = await serveStatic(path.join(miniappRoot, H5_OUTPUT_DIR));

  ({ context, userDataDir } = await launchChromium());
  context.on("request", (request) => {
    const url = new URL(request.url());
    if (url.pathname.startsWith("/trpc/") && url.pathname.includes("auth.login")) pageLogins.push(url.pathname);
  });
  context.on("response", (response) => {
    const { pathname } = new URL(response.url());
    if (!pathname.startsWith("/trpc/")) return;
    const request = response.request();
    pageTrpcAnswers.push({
      method: request.method(),
      path: pathname,
      status: response.status(),
      contentType: request.headers()["content-type"] ?? "",
    });
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on("console", (message) => void browserLog.push(`[${message.type()}] ${message.text()}`));
  page.on("pageerror", (error) => void browserLog.push(`[pageerror] ${error.stack ?? error.message}`));
});

// Leaves a picture of the page for any failed step.
afterEach(async ({ task }) => {
  if (task.result?.state === "fail" && page) {
    const name = task.name.replace(/[^\w-]+/g, "-").slice(0, 60);
    await page.screenshot({ path: path.join(ARTIFACTS_DIR, `failed-${name}.png`), fullPage: true }).catch(() => {});
  }
});

afterAll(async () => {
  writeFileSync(path.join(ARTIFACTS_DIR, "server.log"), serverLog.join(""));
  writeFileSync(path.join(ARTIFACTS_DIR, "browser.log"), browserLog.join("\n"));
  await context?.close();
  await site?.close();
  await server?.close();
  for (const dir of [workDir, userDataDir]) if (dir) rmSync(dir, { recursive: true, force: true });
});

async function screenshot(name: string): Promise<void> {
  // Taro's H5 router slides pages in: wait until the transition is over. It starts a frame or two
  // after the new page is in the DOM, so let two frames pass before asking.
  await page.evaluate(
    () => new Promise<void>((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve()))),
  );
  await page.waitForFunction(() => document.getAnimations().length === 0, undefined, { timeout: 5_000 });
  await page.screenshot({ path: path.join(ARTIFACTS_DIR, `${name}.png`), fullPage: true });
}

async function shownUserId(): Promise<string> {
  const userId = page.locator("#user-id");
  await userId.waitFor({ state: "visible", timeout: 15_000 });
  const text = (await userId.textContent())?.trim() ?? "";
  expect(text).not.toBe("");
  return text;
}

/** Reads what taro-link stored; Taro's H5 storage wraps values as {"data": ...}. */
async function storedValue(key: string): Promise<unknown> {
  const raw = await page.evaluate((storageKey) => localStorage.getItem(storageKey), key);
  if (raw === null) return null;
  const parsed = JSON.parse(raw) as { data?: unknown };
  return parsed.data;
}

async function storedToken(): Promise<string> {
  const session = (await storedValue(SESSION_STORAGE_KEY)) as { token?: unknown } | null;
  if (typeof session?.token !== "string") throw new Error(`no session stored under ${SESSION_STORAGE_KEY}`);
  return session.token;
}

async function code2sessionCalls(): Promise<number> {
  return (await getMockStats(mockWechatUrl))[CODE2SESSION_PATH] ?? 0;
}

/** The profile as the server has it, read with the page's own token. */
async function serverProfile(): Promise<Profile> {
  return expectOk(callTrpc<Profile>(server.trpcUrl, "query", "user.me", { token: await storedToken() }));
}

async function textOf(selector: string): Promise<string> {
  return ((await page.locator(selector).textContent()) ?? "").trim();
}

async function refusalReason(token: string): Promise<string | undefined> {
  const result = await callTrpc(server.trpcUrl, "query", "user.me", { token });
  return result.ok ? undefined : result.reason;
}

describe("H5 page against the server and the mock WeChat", () => {
  let userId: string;

  it("was built with the dev code sources it was asked for", () => {
    // The counterpart of test/weapp-build.test.ts: the same check finds the paths when configured.
    const distDir = path.join(miniappRoot, H5_OUTPUT_DIR);
    const code = listFiles(distDir)
      .filter((file) => file.endsWith(".js"))
      .map((file) => readFileSync(path.join(distDir, file), "utf8"))
      .join("\n");
    expect(code).toContain("/mock/login");
    expect(code).toContain("/mock/phone");
  });

  it("signs in at launch without a click", async () => {
    await page.goto(`${site.url}/`);
    userId = await shownUserId();
    await screenshot("01-signed-in");
    expect(pageLogins).toHaveLength(1);
    expect(await code2sessionCalls()).toBe(1);
    expect(await page.locator("#avatar-placeholder").textContent()).toBe("微");
    expect(await page.locator("#nickname").textContent()).toBe("微信用户");
  });

  it("keeps the same user across a reload without logging in again", async () => {
    await page.reload();
    expect(await shownUserId()).toBe(userId);
    expect(pageLogins).toHaveLength(1);
    expect(await code2sessionCalls()).toBe(1);
  });

  it("logs in again silently when the server revoked the session", async () => {
    const oldToken = await storedToken();
    await expectOk(callTrpc(server.trpcUrl, "mutation", "auth.logout", { token: oldToken }));
    expect(await refusalReason(oldToken)).toBe("REVOKED");

    await page.locator("#refresh").click();
    await expect.poll(() => pageLogins.length, { timeout: 15_000 }).toBe(2);
    expect(await shownUserId()).toBe(userId);
    await expect.poll(storedToken).not.toBe(oldToken);
    expect(await page.locator("#home-error").count()).toBe(0);
    // The dev code source remembered the openid, so the new login is the same WeChat user.
    expect(await code2sessionCalls()).toBe(2);
  });

  it("revokes another device from the sessions page", async () => {
    const openid = await storedValue(MOCK_OPENID_STORAGE_KEY);
    expect(typeof openid).toBe("string");
    const { code } = await mintLoginCode(mockWechatUrl, { openid: openid as string });
    const otherDevice = await expectOk(
      callTrpc<{ token: string; user: { id: string } }>(server.trpcUrl, "mutation", "auth.login", { input: { code } }),
    );
    expect(otherDevice.user.id).toBe(userId);
    const otherSessions = await expectOk(
      callTrpc<DeviceSession[]>(server.trpcUrl, "query", "auth.sessions", { token: otherDevice.token }),
    );
    const otherSessionId = otherSessions.find((session) => session.current)?.id;
    if (!otherSessionId) throw new Error("the second device's session is not in the list");

    await page.locator("#open-sessions").click();
    const otherRow = page.locator(`#session-${otherSessionId}`);
    await otherRow.waitFor({ state: "visible", timeout: 15_000 });
    await expect.poll(() => page.locator(".session-current").count()).toBe(1);
    expect(await page.locator(".session-current .revoke-button").count()).toBe(0);
    // The sign-in history: this user's logins so far (the page's and the second device's), in Chinese.
    await page.locator("#history-list").waitFor({ state: "visible", timeout: 15_000 });
    await expect.poll(() => page.locator(".history-item").count()).toBeGreaterThanOrEqual(2);
    expect(await page.locator(".history-item").first().innerText()).toContain("登录成功");
    expect(await page.locator("#history-list").innerText()).toContain("127.0.0.0/24");
    await screenshot("02-sessions");

    await page.locator(`#revoke-${otherSessionId}`).click();
    await otherRow.waitFor({ state: "detached", timeout: 15_000 });
    expect(await refusalReason(otherDevice.token)).toBe("REVOKED");
    expect(await page.locator(".session-item").count()).toBe(1);
    await screenshot("03-sessions-after-revoke");
  });

  it("logs out and stays signed out across a reload", async () => {
    await page.goto(`${site.url}/`);
    expect(await shownUserId()).toBe(userId);
    const token = await storedToken();

    await page.locator("#logout").click();
    await page.locator("#signed-out").waitFor({ state: "visible", timeout: 15_000 });
    await screenshot("04-signed-out");
    expect(await storedValue(SESSION_STORAGE_KEY)).toBeNull();
    expect(await refusalReason(token)).toBe("REVOKED");

    const loginsBefore = pageLogins.length;
    await page.reload();
    await page.locator("#signed-out").waitFor({ state: "visible", timeout: 15_000 });
    expect(pageLogins).toHaveLength(loginsBefore);
  });

  it("shows WeChat refusing the login, then succeeds on retry", async () => {
    // WeChat's "system busy" (-1) for the login and taro-link's own two backoff retries of it.
    await injectFault(mockWechatUrl, { path: CODE2SESSION_PATH, errcode: -1, count: 3 });
    await page.locator("#login").click();
    const errorPanel = page.locator("#home-error");
    await errorPanel.waitFor({ state: "visible", timeout: 15_000 });
    expect(await errorPanel.getAttribute("data-reason")).toBe("WX_BUSY");
    expect(await page.locator("#home-error .error-message").textContent()).toContain("微信服务繁忙");
    await screenshot("05-wechat-busy");

    await page.locator("#retry").click();
    expect(await shownUserId()).toBe(userId);
  });

  it("logs out everywhere from the sessions page", async () => {
    const token = await storedToken();
    await page.locator("#open-sessions").click();
    await page.locator(".session-current").waitFor({ state: "visible", timeout: 15_000 });
    await page.locator("#logout-all").click();
    // Taro's H5 modal: the confirm button carries the confirmText.
    await page.getByText("全部退出", { exact: true }).click();
    await page.locator("#signed-out").waitFor({ state: "visible", timeout: 15_000 });
    expect(await refusalReason(token)).toBe("REVOKED");
    await screenshot("06-logged-out-everywhere");
  });
});

describe("profile page", () => {
  const nicknameInput = () => page.locator("#profile-nickname-input input");
  const savedNickname = "测试用户🐼";

  it("opens from the home page", async () => {
    // The steps above ended with every device signed out: sign in again, as a user would.
    await page.locator("#login").click();
    await shownUserId();
    await page.locator("#open-profile").click();
    await nicknameInput().waitFor({ state: "visible", timeout: 15_000 });
    expect(await textOf("#profile-nickname")).toBe("微信用户");
    expect(await textOf("#profile-phone")).toBe("未绑定");
    expect(await page.locator("#profile-avatar-placeholder").count()).toBe(1);
    await screenshot("07-profile");
  });

  it("saves a nickname with Chinese and emoji, shown on the home page too", async () => {
    await nicknameInput().fill(savedNickname);
    // Counted as the server counts: the emoji is one character.
    await expect.poll(() => textOf("#profile-nickname-count")).toBe("5/20");
    await page.locator("#profile-save").click();
    await expect.poll(() => textOf("#profile-nickname"), { timeout: 15_000 }).toBe(savedNickname);
    expect(await page.locator("#profile-error").count()).toBe(0);
    expect((await serverProfile()).nickname).toBe(savedNickname);
    await screenshot("08-profile-nickname-saved");

    // Home reads the same state: the new nickname without a reload or another user.me.
    await page.goBack();
    await page.locator("#nickname").waitFor({ state: "visible", timeout: 15_000 });
    expect(await textOf("#nickname")).toBe(savedNickname);
    expect(await textOf("#avatar-placeholder")).toBe("测");
    await page.locator("#open-profile").click();
    await nicknameInput().waitFor({ state: "visible", timeout: 15_000 });
  });

  it("uploads an avatar through the file picker to user.uploadAvatar, logging in once for a revoked session", async () => {
    // 48x48, a green disc on white: small, valid, and recognisable in the screenshot.
    const avatarPng = createPng(48, 48, (x, y) =>
      (x - 23.5) ** 2 + (y - 23.5) ** 2 < 20 ** 2 ? [7, 193, 96, 255] : [255, 255, 255, 255],
    );
    // Another device ends this session first: the upload is refused, taro-link logs in once and
    // sends the file again (the browser must be able to read the 401, CORS included).
    const oldToken = await storedToken();
    await expectOk(callTrpc(server.trpcUrl, "mutation", "auth.logout", { token: oldToken }));
    const loginsBefore = pageLogins.length;
    const answersBefore = pageTrpcAnswers.length;

    const fileChooser = page.waitForEvent("filechooser", { timeout: 10_000 });
    await page.locator("#profile-avatar-upload").click();
    await (await fileChooser).setFiles({ name: "avatar.png", mimeType: "image/png", buffer: avatarPng });

    const avatar = page.locator("#profile-avatar img");
    await avatar.waitFor({ state: "visible", timeout: 15_000 });
    // The browser really loaded the stored image.
    await expect
      .poll(() => avatar.evaluate((image: HTMLImageElement) => image.complete && image.naturalWidth))
      .toBe(48);
    expect(await page.locator("#profile-error").count()).toBe(0);
    expect(pageLogins).toHaveLength(loginsBefore + 1);
    expect(await storedToken()).not.toBe(oldToken);
    const uploads = pageTrpcAnswers.slice(answersBefore).filter(({ path }) => path === "/trpc/user.uploadAvatar");
    expect(uploads.map(({ method, status }) => `${method} ${status}`)).toEqual(["POST 401", "POST 200"]);
    for (const upload of uploads) expect(upload.contentType).toMatch(/^multipart\/form-data; boundary=/);

    const { avatarUrl } = await serverProfile();
    expect(avatarUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/uploads\/avatars\/[0-9a-f]{32}\.png$/);
    const image = await fetch(avatarUrl!, { signal: AbortSignal.timeout(10_000) });
    expect(image.status).toBe(200);
    expect(image.headers.get("content-type")).toBe("image/png");
    expect(Buffer.from(await image.arrayBuffer()).equals(avatarPng)).toBe(true);
    await screenshot("09-profile-avatar");
  });

  it("refuses a 21-character nickname before sending it, and changes nothing", async () => {
    const tooLong = "一二三四五六七八九十一二三四五六七八九十🐼";
    await nicknameInput().fill(tooLong);
    await expect.poll(() => textOf("#profile-nickname-count")).toBe("21/20");
    // The field says it while typing, with the sentence the save will show.
    await expect.poll(() => textOf("#profile-nickname-problem")).toBe("昵称最多 20 个字");
    const answersBefore = pageTrpcAnswers.length;
    await page.locator("#profile-save").click();

    const error = page.locator("#profile-error");
    await error.waitFor({ state: "visible", timeout: 15_000 });
    expect(await error.getAttribute("data-operation")).toBe("nickname");
    expect(await error.getAttribute("data-reason")).toBe("INVALID_INPUT");
    expect(await error.getAttribute("data-action")).toBe("show");
    // Nothing was sent, so there is no server text: the contract's rule, checked on the page.
    expect(await error.getAttribute("data-server-message")).toBe("");
    expect(await textOf("#profile-error .error-message")).toBe("昵称最多 20 个字");
    expect(await page.locator("#profile-retry").count()).toBe(0);
    expect(await page.locator("#profile-relogin").count()).toBe(0);
    expect(await textOf("#profile-nickname")).toBe(savedNickname);
    expect((await serverProfile()).nickname).toBe(savedNickname);
    // serverProfile reads over Node's fetch: the page itself called nothing.
    expect(pageTrpcAnswers.slice(answersBefore)).toEqual([]);
    await screenshot("10-profile-nickname-too-long");
  });

  it("binds a phone number with a mock WeChat code and masks it", async () => {
    const openid = await storedValue(MOCK_OPENID_STORAGE_KEY);
    if (typeof openid !== "string") throw new Error("no mock openid stored");
    // The mock answers every later code of this WeChat user with the number chosen here.
    await mintPhoneCode(mockWechatUrl, { openid, phoneNumber: "13912345678" });

    // First WeChat refuses the code (40029): the page asks for a new tap, no retry button.
    await injectFault(mockWechatUrl, { path: PHONE_NUMBER_PATH, errcode: 40029, count: 1 });
    await page.locator("#profile-bind-phone").click();
    const error = page.locator("#profile-error");
    await expect.poll(() => error.getAttribute("data-reason"), { timeout: 15_000 }).toBe("PHONE_CODE_INVALID");
    expect(await textOf("#profile-error .error-message")).toBe("手机号验证已失效，请重新点击");
    expect(await textOf("#profile-phone")).toBe("未绑定");

    await page.locator("#profile-bind-phone").click();
    await expect.poll(() => textOf("#profile-phone"), { timeout: 15_000 }).toBe("139****5678");
    expect(await error.count()).toBe(0);
    expect((await serverProfile()).phoneNumber).toBe("13912345678");
    await screenshot("11-profile-phone-bound");

    await page.goBack();
    await page.locator("#home-phone").waitFor({ state: "visible", timeout: 15_000 });
    expect(await textOf("#home-phone")).toBe("手机号：139****5678");
    expect(await page.locator("#avatar").count()).toBe(1);
    await screenshot("12-home-after-profile");
  });
});

describe("notes page (the example feature)", () => {
  interface Note {
    id: string;
    title: string;
    body: string;
  }
  const titleInput = () => page.locator("#note-title-input input");
  const bodyInput = () => page.locator("#note-body-input textarea");
  const shownTitles = () => page.locator(".note-item .note-title").allTextContents();

  /** Every note of the signed-in user as the server has it, newest first. */
  async function serverNotes(): Promise<Note[]> {
    const token = await storedToken();
    const notes: Note[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: Note[]; nextCursor: string | null } = await expectOk(
        callTrpc(server.trpcUrl, "query", "notes.list", { token, input: { limit: 50, cursor } }),
      );
      notes.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    return notes;
  }

  it("opens from the home page with no notes yet", async () => {
    await page.locator("#open-notes").click();
    await page.locator("#notes-empty").waitFor({ state: "visible", timeout: 15_000 });
    expect(await textOf("#notes-empty")).toBe("还没有笔记，写下第一条吧");
  });

  it("creates a note: shown at once, then saved on the server", async () => {
    await titleInput().fill("买牛奶 🥛");
    await bodyInput().fill("全脂\n两盒");
    await page.locator("#note-create").click();
    await expect.poll(shownTitles, { timeout: 15_000 }).toEqual(["买牛奶 🥛"]);
    // The optimistic entry is replaced by the saved one (its real id) when the list is read again.
    await page.locator(".note-pending").waitFor({ state: "detached", timeout: 15_000 });
    const [saved] = await serverNotes();
    expect(saved).toMatchObject({ title: "买牛奶 🥛", body: "全脂\n两盒" });
    await page.locator(`#note-${saved!.id}`).waitFor({ state: "visible" });
    // The form is empty again for the next note.
    expect(await titleInput().inputValue()).toBe("");
    await screenshot("13-notes-created");
  });

  it("refuses an empty title before sending it", async () => {
    const answersBefore = pageTrpcAnswers.length;
    await titleInput().fill("   ");
    await page.locator("#note-create").click();
    const problem = page.locator("#notes-problem");
    await problem.waitFor({ state: "visible", timeout: 15_000 });
    expect(await problem.getAttribute("data-reason")).toBe("INVALID_INPUT");
    expect(await problem.getAttribute("data-action")).toBe("show");
    expect(await textOf("#notes-problem .error-message")).toBe("标题不能为空");
    expect(pageTrpcAnswers.slice(answersBefore)).toEqual([]);
  });

  it("lists notes a page at a time: the next page loads on reaching the bottom", async () => {
    // 21 more notes saved from another device: 22 in all, more than one page of 20.
    const token = await storedToken();
    for (let index = 1; index <= 21; index++)
      await expectOk(
        callTrpc(server.trpcUrl, "mutation", "notes.create", { token, input: { title: `第 ${index} 条` } }),
      );
    await page.reload();
    await expect.poll(() => page.locator(".note-item").count(), { timeout: 15_000 }).toBe(20);
    expect((await shownTitles())[0]).toBe("第 21 条");
    expect(await textOf("#notes-more")).toBe("上拉加载更多");

    await page.locator("#notes-more").scrollIntoViewIfNeeded();
    await page.mouse.wheel(0, 5_000);
    await expect.poll(() => page.locator(".note-item").count(), { timeout: 15_000 }).toBe(22);
    expect((await shownTitles()).at(-1)).toBe("买牛奶 🥛");
    await expect.poll(() => textOf("#notes-more")).toBe("没有更多了");
    await screenshot("14-notes-all-pages");
  });

  it("edits a note in place and saves it on the server", async () => {
    const target = (await serverNotes()).find((note) => note.title === "第 21 条")!;
    const item = page.locator(`#note-${target.id}`);
    await item.locator(".note-edit").click();
    await page.locator("#note-edit-title input").fill("第 21 条（已改）");
    await page.locator("#note-edit-body textarea").fill("改过的内容");
    await page.locator("#note-save").click();
    await expect.poll(() => item.locator(".note-title").textContent(), { timeout: 15_000 }).toBe("第 21 条（已改）");
    await expect
      .poll(async () => (await serverNotes()).find((note) => note.id === target.id))
      .toMatchObject({ title: "第 21 条（已改）", body: "改过的内容" });
    expect(await page.locator("#notes-problem").count()).toBe(0);
  });

  it("shows a note deleted elsewhere as gone, and puts the edit back", async () => {
    const target = (await serverNotes()).find((note) => note.title === "第 20 条")!;
    await expectOk(
      callTrpc(server.trpcUrl, "mutation", "notes.delete", { token: await storedToken(), input: { id: target.id } }),
    );
    const item = page.locator(`#note-${target.id}`);
    await item.locator(".note-edit").click();
    await page.locator("#note-edit-title input").fill("改不了");
    await page.locator("#note-save").click();

    const problem = page.locator("#notes-problem");
    await expect.poll(() => problem.getAttribute("data-reason"), { timeout: 15_000 }).toBe("NOT_FOUND");
    expect(await problem.getAttribute("data-action")).toBe("show");
    expect(await textOf("#notes-problem .error-message")).toBe("这条笔记已被删除");
    // Rolled back, then the list read again from the server: the note is no longer shown.
    await item.waitFor({ state: "detached", timeout: 15_000 });
    expect(await shownTitles()).not.toContain("改不了");
  });

  it("deletes a note: gone at once and on the server", async () => {
    const target = (await serverNotes()).find((note) => note.title === "买牛奶 🥛")!;
    const before = await page.locator(".note-item").count();
    await page.locator(`#note-${target.id} .note-delete`).click();
    await page.locator(`#note-${target.id}`).waitFor({ state: "detached", timeout: 15_000 });
    await expect.poll(async () => (await serverNotes()).some((note) => note.id === target.id)).toBe(false);
    await expect.poll(() => page.locator(".note-item").count()).toBe(before - 1);
    await screenshot("15-notes-after-delete");
  });
});
