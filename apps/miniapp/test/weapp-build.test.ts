import { readFileSync } from "node:fs";
import path from "node:path";
import { AVATAR_UPLOAD_PROCEDURE } from "@mp-auth/contract";
import { beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_API_URL } from "../config/client-env";
import { miniappRoot, taroBuild } from "../scripts/taro-build";
import { HOOKS_CHUNK } from "../config/index";
import { JS_BUDGET_BYTES, listFiles, measureWeapp, WECHAT_MAIN_PACKAGE_LIMIT_BYTES } from "../scripts/weapp-size";
import { createWeappSandbox, type WxRequestCall } from "./helpers/weapp-sandbox";

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
});
