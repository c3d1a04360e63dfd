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

/** A page opened in the sandbox: what Taro sent it with setData, as WeChat's renderer would get it. */
export interface SandboxPage {
  /** Every setData payload, in order. */
  updates: Record<string, unknown>[];
  /** All text the page's updates carried (Taro sends text nodes as `v` values). */
  texts: () => string[];
  /** Calls one of the page's event handlers (e.g. onPullDownRefresh, onReachBottom). */
  fire: (handler: string) => void;
}

export interface WeappSandbox {
  /** Calls App({ onLaunch }) like WeChat does at startup. */
  launch: () => void;
  /**
   * Loads a page's script and calls its Page({ onLoad, onShow }) like WeChat does when the user
   * opens it: Taro renders the React page into its own DOM and sends it to the page with setData.
   */
  openPage: (route: string) => SandboxPage;
  /** The callbacks the bundle registered with wx.on<Event> (e.g. onAppShow, onNetworkStatusChange). */
  listeners: Map<string, ((result?: unknown) => void)[]>;
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
  let pageOptions: Record<string, unknown> | undefined;
  const listeners = new Map<string, ((result?: unknown) => void)[]>();

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
    getNetworkType(callbacks: Callbacks) {
      setTimeout(() => callbacks.success?.({ networkType: "wifi", errMsg: "getNetworkType:ok" }));
    },
    stopPullDownRefresh: () => undefined,
  };
  // wx.onAppShow, wx.onNetworkStatusChange...: kept, so a test can fire them.
  for (const event of ["onAppShow", "onAppHide", "onNetworkStatusChange"]) {
    wxApis[event] = (callback: (result?: unknown) => void) => {
      listeners.set(event, [...(listeners.get(event) ?? []), callback]);
    };
    wxApis[event.replace(/^on/, "off")] = (callback: (result?: unknown) => void) => {
      listeners.set(
        event,
        (listeners.get(event) ?? []).filter((registered) => registered !== callback),
      );
    };
  }
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
    Page: (config: Record<string, unknown>) => void (pageOptions = config),
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

  const pages: unknown[] = [];
  context.getCurrentPages = () => pages;

  return {
    openPage(route) {
      pageOptions = undefined;
      load(path.join(options.distDir, `${route}.js`));
      // Set by the Page() call inside load (TypeScript cannot see that assignment).
      const config = pageOptions as Record<string, unknown> | undefined;
      if (!config) throw new Error(`${route}.js did not call Page()`);
      const updates: Record<string, unknown>[] = [];
      // What WeChat makes of the Page() options: an instance with data, route and setData.
      const instance: Record<string, unknown> = {
        ...config,
        route,
        __route__: route,
        data: {},
        setData(data: Record<string, unknown>, callback?: () => void) {
          updates.push(data);
          if (callback) setTimeout(callback);
        },
      };
      pages.push(instance);
      const call = (handler: string, ...args: unknown[]) =>
        (instance[handler] as ((...handlerArgs: unknown[]) => void) | undefined)?.apply(instance, args);
      call("onLoad", {});
      call("onShow");
      call("onReady");
      const texts = (value: unknown): string[] => {
        if (Array.isArray(value)) return value.flatMap(texts);
        if (value === null || typeof value !== "object") return [];
        return Object.entries(value).flatMap(([key, inner]) =>
          key === "v" && typeof inner === "string" ? [inner] : texts(inner),
        );
      };
      // An update is keyed by paths ("root.cn.[0].cn.[1].v"): a path ending in `v` is a text node's value.
      const updateTexts = (update: Record<string, unknown>) =>
        Object.entries(update).flatMap(([key, value]) =>
          /(^|\.)v$/.test(key) && typeof value === "string" ? [value] : texts(value),
        );
      return { updates, texts: () => updates.flatMap(updateTexts), fire: call };
    },
    listeners,
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
