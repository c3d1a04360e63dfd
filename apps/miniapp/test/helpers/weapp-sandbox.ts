import { readFileSync } from "node:fs";
import path from "node:path";
import vm from "node:vm";

/**
 * Runs a weapp build's app.js the way the WeChat runtime would load it — CommonJS-style `require`
 * between the dist files, the `App`/`Page`/`Component` registrars and a scripted `wx` — with none
 * of the browser globals WeChat lacks (fetch, AbortController, window, document, URLSearchParams).
 * Not a renderer: it proves the bundle starts and drives wx.login / wx.request as intended.
 */

export interface WxRequestCall {
  method: string;
  url: string;
  header: Record<string, string>;
  data: unknown;
}

export interface WeappSandboxOptions {
  distDir: string;
  /** What wx.request answers, by URL; the body is sent as text, like a real server. */
  answer: (call: WxRequestCall) => { statusCode: number; body: unknown };
  /** Initial storage (wx.setStorageSync keeps objects as they are). */
  storage?: Map<string, unknown>;
  checkSessionSucceeds?: boolean;
}

export interface WeappSandbox {
  /** Calls App({ onLaunch }) like WeChat does at startup. */
  launch: () => void;
  loginCalls: () => number;
  requests: WxRequestCall[];
  storage: Map<string, unknown>;
  /** Other wx APIs the bundle touched (for diagnostics). */
  otherWxCalls: Set<string>;
  errors: unknown[];
}

/** Browser globals that must not exist in the sandbox, as in WeChat. */
export const GLOBALS_WECHAT_LACKS = [
  "fetch",
  "AbortController",
  "window",
  "document",
  "URLSearchParams",
  "TextDecoder",
  "FormData",
  "Blob",
];

export function createWeappSandbox(options: WeappSandboxOptions): WeappSandbox {
  const storage = options.storage ?? new Map<string, unknown>();
  const requests: WxRequestCall[] = [];
  const otherWxCalls = new Set<string>();
  const errors: unknown[] = [];
  let logins = 0;
  let appOptions: { onLaunch?: (this: unknown, launch: unknown) => void } | undefined;

  type Callbacks = { success?: (result: unknown) => void; fail?: (error: unknown) => void };
  const wxApis: Record<string, unknown> = {
    login(callbacks: Callbacks) {
      logins++;
      setTimeout(() => callbacks.success?.({ code: `wx-code-${logins}`, errMsg: "login:ok" }));
    },
    checkSession(callbacks: Callbacks) {
      setTimeout(() =>
        options.checkSessionSucceeds
          ? callbacks.success?.({ errMsg: "checkSession:ok" })
          : callbacks.fail?.({ errMsg: "checkSession:fail" }),
      );
    },
    request(request: Callbacks & WxRequestCall) {
      const call = { method: request.method, url: request.url, header: request.header, data: request.data };
      requests.push(call);
      const { statusCode, body } = options.answer(call);
      setTimeout(
        () =>
          request.success?.({ statusCode, data: JSON.stringify(body), header: { "content-type": "application/json" } }),
        1,
      );
      return { abort() {} };
    },
    getStorageSync: (key: string) => (storage.has(key) ? storage.get(key) : ""),
    setStorageSync: (key: string, value: unknown) => void storage.set(key, value),
    removeStorageSync: (key: string) => void storage.delete(key),
    getSystemInfoSync: () => ({
      platform: "devtools",
      windowWidth: 375,
      windowHeight: 667,
      pixelRatio: 2,
      SDKVersion: "3.6.0",
    }),
    getWindowInfo: () => ({ windowWidth: 375, windowHeight: 667, pixelRatio: 2 }),
    getAppBaseInfo: () => ({ SDKVersion: "3.6.0" }),
    nextTick: (callback: () => void) => setTimeout(callback),
    canIUse: () => true,
  };
  const wx = new Proxy(wxApis, {
    get(target, key) {
      if (typeof key !== "string") return undefined;
      if (key in target) return target[key];
      // webpack's chunk registry lives on wx and starts undefined.
      if (key === "webpackJsonp") return undefined;
      otherWxCalls.add(key);
      return () => undefined;
    },
  });

  const context = vm.createContext({
    wx,
    console: { ...console, error: (...args: unknown[]) => void errors.push(args) },
    setTimeout,
    clearTimeout,
    setInterval,
    clearInterval,
    App: (config: typeof appOptions) => void (appOptions = config),
    Page: () => undefined,
    Component: () => undefined,
    Behavior: (definition: unknown) => definition,
    getApp: () => appOptions,
    getCurrentPages: () => [],
  });
  for (const name of GLOBALS_WECHAT_LACKS) vm.runInContext(`delete globalThis.${name}`, context);

  const modules = new Map<string, { exports: unknown }>();
  const load = (file: string): unknown => {
    const absolute = path.resolve(options.distDir, file.endsWith(".js") ? file : `${file}.js`);
    const cached = modules.get(absolute);
    if (cached) return cached.exports;
    const module = { exports: {} as unknown };
    modules.set(absolute, module);
    const wrapper = vm.runInContext(
      `(function (require, module, exports) {${readFileSync(absolute, "utf8")}\n})`,
      context,
      {
        filename: absolute,
      },
    ) as (require: (id: string) => unknown, module: { exports: unknown }, exports: unknown) => void;
    wrapper((id) => load(path.join(path.dirname(absolute), id)), module, module.exports);
    return module.exports;
  };
  load(path.join(options.distDir, "app.js"));

  return {
    launch() {
      if (!appOptions?.onLaunch) throw new Error("app.js did not call App({ onLaunch })");
      appOptions.onLaunch.call(appOptions, { path: "pages/home/index", query: {}, scene: 1001 });
    },
    loginCalls: () => logins,
    requests,
    storage,
    otherWxCalls,
    errors,
  };
}
