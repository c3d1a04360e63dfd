import { readFileSync } from "node:fs";
import path from "node:path";
import { APPID_HEADER, AVATAR_UPLOAD_PROCEDURE } from "@mp-auth/contract";
import { beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_API_URL } from "../config/client-env";
import { miniappRoot, taroBuild } from "../scripts/taro-build";
import { HOOKS_CHUNK } from "../config/index";
import { JS_BUDGET_BYTES, listFiles, measureWeapp, WECHAT_MAIN_PACKAGE_LIMIT_BYTES } from "../scripts/weapp-size";
import { createWeappSandbox, type WeappSandbox, type WxRequestCall } from "./helpers/weapp-sandbox";

/** Builds the weapp once with default settings (~15 s) and checks what WeChat DevTools would get. */

const OUTPUT_DIR = "dist/test/weapp";
const distDir = path.join(miniappRoot, OUTPUT_DIR);

function readDist(file: string): string {
  return readFileSync(path.join(distDir, file), "utf8");
}

beforeAll(async () => {
  await taroBuild({ platform: "weapp", outputDir: OUTPUT_DIR });
});

describe("weapp build (default settings)", () => {
  it("fits WeChat's 2 MB main package limit", () => {
    const size = measureWeapp(distDir);
    expect(size.mainPackageBytes).toBeGreaterThan(0);
    expect(size.mainPackageBytes).toBeLessThanOrEqual(WECHAT_MAIN_PACKAGE_LIMIT_BYTES);
  });

  it("keeps its JavaScript within the project's 400 KB, the typed hooks in their own chunk, one @trpc/client", () => {
    const size = measureWeapp(distDir);
    expect(size.jsBytes).toBeLessThanOrEqual(JS_BUDGET_BYTES);
    expect(size.jsFileBytes[`${HOOKS_CHUNK}.js`]).toBeGreaterThan(0);
    // app.js loads the chunk at start, like Taro's vendors.js.
    expect(readDist("app.js")).toContain(`require("./${HOOKS_CHUNK}")`);
    const code = listFiles(distDir)
      .filter((file) => file.endsWith(".js"))
      .map(readDist)
      .join("\n");
    // pnpm installs one @trpc/client per peer set; the config's alias must leave one in the bundle.
    expect(code.match(/TRPCClientError/g)).toHaveLength(1);
  });

  it("contains no dev code source (login or phone) and no mock WeChat path", () => {
    const offenders = listFiles(distDir).filter((file) => /\/mock\/|mock-wechat-(login|phone)/.test(readDist(file)));
    expect(offenders).toEqual([]);
  });

  it("uses the real chooseAvatar and getPhoneNumber buttons, and uploads to the API's user.uploadAvatar", () => {
    const profileJs = readDist("pages/profile/index.js");
    expect(profileJs).toContain("chooseAvatar");
    expect(profileJs).toContain("getPhoneNumber");
    // The H5 file picker is not what WeChat users get.
    expect(profileJs).not.toContain("chooseImage");
    const code = listFiles(distDir)
      .filter((file) => file.endsWith(".js"))
      .map(readDist)
      .join("\n");
    expect(code).toContain(AVATAR_UPLOAD_PROCEDURE);
    // The plain HTTP route the server no longer has.
    expect(code).not.toMatch(/\/uploads\/avatar(?!s)/);
  });

  it("asks for WeChat's privacy consent and can answer it with an agreePrivacyAuthorization button", () => {
    const appJson = JSON.parse(readDist("app.json")) as { __usePrivacyCheck__?: unknown };
    expect(appJson.__usePrivacyCheck__).toBe(true);
    // Taro's shared template forwards the button's agree event to the page's event handler.
    expect(readDist("base.wxml")).toMatch(/<button [^>]*bindagreeprivacyauthorization="eh"/);
    expect(readDist("pages/profile/index.js")).toContain("agreePrivacyAuthorization");
  });

  it("ships no server code (the router is imported as a type only)", () => {
    const code = listFiles(distDir)
      .filter((file) => file.endsWith(".js"))
      .map(readDist)
      .join("\n");
    expect(code).not.toMatch(/prisma|jscode2session|createTRPCRouter/i);
    expect(code).toContain(DEFAULT_API_URL);
  });

  it("is a folder WeChat DevTools imports as is", () => {
    const projectConfig = JSON.parse(readDist("project.config.json")) as {
      appid: string;
      miniprogramRoot: string;
      compileType: string;
      setting: { es6: boolean; enhance: boolean };
    };
    expect(projectConfig).toMatchObject({ appid: "touristappid", miniprogramRoot: "./", compileType: "miniprogram" });
    // Modern syntax stays in the output: DevTools must down-level it on upload (see README).
    expect(projectConfig.setting).toMatchObject({ es6: true, enhance: true });

    const appJson = JSON.parse(readDist("app.json")) as { pages: string[] };
    expect(appJson.pages).toEqual([
      "pages/home/index",
      "pages/profile/index",
      "pages/sessions/index",
      "pages/notes/index",
    ]);
    // Pull-to-refresh needs the page's own switch in its JSON.
    expect(JSON.parse(readDist("pages/notes/index.json"))).toMatchObject({ enablePullDownRefresh: true });
    for (const page of appJson.pages) {
      for (const extension of [".js", ".json", ".wxml"]) expect(listFiles(distDir)).toContain(`${page}${extension}`);
    }
  });
});

describe("weapp bundle in a WeChat-like runtime (no fetch, AbortController, window)", () => {
  const expiresAt = () => new Date(Date.now() + 24 * 3600_000).toISOString();
  const user = {
    id: "u1",
    nickname: null,
    avatarUrl: null,
    phoneNumber: null,
    createdAt: expiresAt(),
    lastLoginAt: expiresAt(),
  };

  const note = (id: string, title: string) => ({
    id,
    title,
    body: "",
    createdAt: expiresAt(),
    updatedAt: expiresAt(),
  });

  // httpBatchLink answers: one array entry per procedure of the batch.
  function answer(call: WxRequestCall) {
    if (call.url.includes("/auth.login"))
      return { statusCode: 200, body: [{ result: { data: { token: "token-1", expiresAt: expiresAt(), user } } }] };
    if (call.url.includes("/user.me")) return { statusCode: 200, body: [{ result: { data: user } }] };
    if (call.url.includes("/notes.list")) {
      // The first page names a cursor; the second page (sent with it) is the last.
      const second = decodeURIComponent(call.url).includes('"cursor":"c1"');
      const items = second ? [note("n2", "第二页的笔记")] : [note("n1", "买牛奶")];
      return { statusCode: 200, body: [{ result: { data: { items, nextCursor: second ? null : "c1" } } }] };
    }
    return {
      statusCode: 404,
      body: [{ error: { message: "unexpected", code: -32004, data: { code: "NOT_FOUND", httpStatus: 404 } } }],
    };
  }

  async function settle(check: () => boolean): Promise<void> {
    for (let waited = 0; waited < 3000 && !check(); waited += 20)
      await new Promise((resolve) => setTimeout(resolve, 20));
  }

  it("logs in with wx.login at launch, then reads the user with the token", async () => {
    const sandbox = createWeappSandbox({ distDir, answer });
    sandbox.launch();
    await settle(() => sandbox.requests.length >= 2);

    expect(sandbox.loginCalls()).toBe(1);
    expect(sandbox.requests.map(({ method, url }) => `${method} ${url.replace(/\?.*/, "")}`)).toEqual([
      `POST ${DEFAULT_API_URL}/auth.login`,
      `GET ${DEFAULT_API_URL}/user.me`,
    ]);
    expect(sandbox.requests[0]?.data).toBe(JSON.stringify({ 0: { code: "wx-code-1" } }));
    expect(sandbox.requests[1]?.header).toMatchObject({ Authorization: "Bearer token-1" });
    // No TARO_APP_ID: no X-WX-Appid, which a server of one app accepts (WeChat's Referer names it anyway).
    expect(Object.keys(sandbox.requests[1]?.header ?? {})).not.toContain(APPID_HEADER);
    expect(sandbox.storage.get("mp-auth.session")).toMatchObject({ token: "token-1" });
    expect(sandbox.errors).toEqual([]);
  });

  it("reuses a stored session while wx.checkSession succeeds: no wx.login", async () => {
    const storage = new Map<string, unknown>([["mp-auth.session", { token: "token-0", expiresAt: expiresAt() }]]);
    const sandbox = createWeappSandbox({ distDir, answer, storage, checkSessionSucceeds: true });
    sandbox.launch();
    await settle(() => sandbox.requests.length >= 1);
    await new Promise((resolve) => setTimeout(resolve, 100));

    expect(sandbox.loginCalls()).toBe(0);
    expect(sandbox.requests).toHaveLength(1);
    expect(sandbox.requests[0]?.header).toMatchObject({ Authorization: "Bearer token-0" });
  });

  it("renders the notes page with the React Query hooks: its first page, the next on reaching the bottom", async () => {
    const sandbox = createWeappSandbox({ distDir, answer });
    sandbox.launch();
    const notes = sandbox.openPage("pages/notes/index");
    await settle(() => notes.texts().includes("买牛奶"));

    expect(notes.texts()).toContain("买牛奶");
    const paths = () => sandbox.requests.map(({ url }) => url.replace(/\?.*/, "").replace(DEFAULT_API_URL, ""));
    // The list waits for the launch sign-in instead of logging in on its own.
    expect(paths()).toEqual(["/auth.login", "/user.me", "/notes.list"]);
    expect(sandbox.requests[2]?.header).toMatchObject({ Authorization: "Bearer token-1" });

    notes.fire("onReachBottom");
    await settle(() => notes.texts().includes("第二页的笔记"));
    expect(notes.texts()).toContain("第二页的笔记");
    expect(decodeURIComponent(sandbox.requests[3]?.url ?? "")).toContain('"cursor":"c1"');
    expect(sandbox.errors).toEqual([]);
  });

  it("follows the mini-program's life cycle: WeChat's app and network events drive it", async () => {
    const sandbox = createWeappSandbox({ distDir, answer });
    sandbox.launch();
    const notes = sandbox.openPage("pages/notes/index");
    await settle(() => notes.texts().includes("买牛奶"));
    for (const event of ["onAppShow", "onAppHide", "onNetworkStatusChange"])
      expect(sandbox.listeners.get(event), event).toHaveLength(1);

    // Offline, a pull-to-refresh waits; back online, it is sent.
    const sent = sandbox.requests.length;
    sandbox.listeners.get("onNetworkStatusChange")?.[0]?.({ isConnected: false, networkType: "none" });
    notes.fire("onPullDownRefresh");
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(sandbox.requests).toHaveLength(sent);
    sandbox.listeners.get("onNetworkStatusChange")?.[0]?.({ isConnected: true, networkType: "wifi" });
    await settle(() => sandbox.requests.length > sent);
    expect(sandbox.requests.slice(sent).map(({ url }) => url.replace(/\?.*/, "").replace(DEFAULT_API_URL, ""))).toEqual(
      ["/notes.list"],
    );
    expect(sandbox.errors).toEqual([]);
  });

  describe("privacy consent", () => {
    /** Launches the app, waits for the sign-in, and opens the profile page. */
    async function profilePage() {
      const sandbox = createWeappSandbox({ distDir, answer });
      sandbox.launch();
      await settle(() => sandbox.requests.length >= 2);
      const page = sandbox.openPage("pages/profile/index");
      await settle(() => page.has("profile-get-phone"));
      return { sandbox, page };
    }

    /** WeChat calling the app's listener as a privacy component would; returns the answers it got. */
    function wechatAsks(sandbox: WeappSandbox, referrer: string) {
      const answers: { event: string; buttonId?: string }[] = [];
      const listener = sandbox.privacyListeners.at(-1);
      if (!listener) throw new Error("the app registered no onNeedPrivacyAuthorization listener");
      listener((option) => void answers.push(option), { referrer });
      return answers;
    }

    it("registers one onNeedPrivacyAuthorization listener at launch", async () => {
      const { sandbox, page } = await profilePage();
      expect(sandbox.privacyListeners).toHaveLength(1);
      expect(page.has("privacy-popup")).toBe(false);
      expect(page.has("profile-avatar-upload")).toBe(true);
    });

    it("shows the popup while WeChat waits and answers every pending trigger with the agree button's id", async () => {
      const { sandbox, page } = await profilePage();
      const avatar = wechatAsks(sandbox, "button.chooseAvatar");
      const phone = wechatAsks(sandbox, "button.getPhoneNumber");
      await settle(() => page.texts().includes("《沙箱小程序隐私保护指引》"));

      expect(page.has("privacy-popup")).toBe(true);
      expect(page.texts()).toEqual(expect.arrayContaining(["用户隐私保护提示", "同意", "拒绝"]));
      // The popup reported itself as seen, and nothing was answered before the user chose.
      expect(avatar).toEqual([{ event: "exposureAuthorization" }]);
      expect(phone).toEqual([{ event: "exposureAuthorization" }]);

      page.dispatch("privacy-contract", "tap");
      expect(sandbox.privacyContractOpenings()).toBe(1);

      page.dispatch("privacy-agree", "agreeprivacyauthorization");
      await settle(() => !page.has("privacy-popup"));
      expect(page.has("privacy-popup")).toBe(false);
      expect(avatar.at(-1)).toEqual({ event: "agree", buttonId: "privacy-agree" });
      expect(phone.at(-1)).toEqual({ event: "agree", buttonId: "privacy-agree" });
      expect(sandbox.errors).toEqual([]);
    });

    it("answers disagree when refused, keeps the profile usable and asks again at the next tap", async () => {
      const { sandbox, page } = await profilePage();
      const first = wechatAsks(sandbox, "button.getPhoneNumber");
      await settle(() => page.has("privacy-popup"));
      page.dispatch("privacy-disagree", "tap");
      await settle(() => !page.has("privacy-popup"));

      expect(first.at(-1)).toEqual({ event: "disagree" });
      expect(page.has("privacy-popup")).toBe(false);
      // WeChat then fails the button; the page says why instead of an error, and every button stays.
      page.dispatch("profile-get-phone", "getphonenumber", {
        errMsg: "getPhoneNumber:fail privacy permission is not authorized",
      });
      await settle(() => page.has("profile-note"));
      expect(page.texts()).toContain("你没有同意隐私保护指引，暂时无法获取手机号，需要时可以再次点击绑定");
      for (const id of ["profile-avatar-upload", "profile-nickname-input", "profile-save", "profile-get-phone"])
        expect(page.has(id)).toBe(true);

      const retry = wechatAsks(sandbox, "button.getPhoneNumber");
      await settle(() => page.has("privacy-popup"));
      expect(page.has("privacy-popup")).toBe(true);
      page.dispatch("privacy-agree", "agreeprivacyauthorization");
      await settle(() => retry.length >= 2);
      expect(retry.at(-1)).toEqual({ event: "agree", buttonId: "privacy-agree" });
      expect(first).toHaveLength(2);
      expect(sandbox.errors).toEqual([]);
    });

    it("never leaves WeChat waiting: no popup mounted, or its page closed, means disagree", async () => {
      const sandbox = createWeappSandbox({ distDir, answer });
      sandbox.launch();
      await settle(() => sandbox.requests.length >= 2);
      expect(wechatAsks(sandbox, "button.chooseAvatar")).toEqual([{ event: "disagree" }]);

      const page = sandbox.openPage("pages/profile/index");
      await settle(() => page.has("profile-get-phone"));
      const pending = wechatAsks(sandbox, "input.nickname");
      await settle(() => page.has("privacy-popup"));
      page.unload();
      await settle(() => pending.at(-1)?.event === "disagree");
      expect(pending.at(-1)).toEqual({ event: "disagree" });
    });
  });
});
