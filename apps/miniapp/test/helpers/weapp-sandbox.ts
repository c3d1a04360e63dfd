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

/** What the weapp's onNeedPrivacyAuthorization listener is called with (see privacy-consent.ts). */
export type WxPrivacyResolve = (option: { event: string; buttonId?: string }) => void;
export type WxPrivacyListener = (resolve: WxPrivacyResolve, eventInfo: { referrer: string }) => void;

/** A page registered with Page(), loaded the way WeChat opens it, with its rendered data kept. */
export interface WeappPage {
  /** The page's data as WeChat's renderer would hold it after every setData so far. */
  data: Record<string, unknown>;
  /** The texts of the rendered tree, in document order. */
  texts: () => string[];
  /** Whether a node with this id is rendered. */
  has: (id: string) => boolean;
  /** A WeChat event on the node with this id (e.g. "tap", "agreeprivacyauthorization"), through Taro's handler. */
  dispatch: (id: string, type: string, detail?: Record<string, unknown>) => void;
  /** Calls one of the page's own handlers, as WeChat does (e.g. onReachBottom, onPullDownRefresh). */
  fire: (handler: string) => void;
  unload: () => void;
}

export interface WeappSandbox {
  /** Calls App({ onLaunch }) like WeChat does at startup. */
  launch: () => void;
  /** Loads `<route>.js` and runs onLoad / onShow / onReady on a page instance. */
  openPage: (route: string) => WeappPage;
  /** Listeners the bundle registered with wx.onNeedPrivacyAuthorization (base library 2.32.3+). */
  privacyListeners: WxPrivacyListener[];
  /** Calls of wx.openPrivacyContract. */
  privacyContractOpenings: () => number;
  /** The callbacks the bundle registered with wx.on<Event> (onAppShow, onAppHide, onNetworkStatusChange). */
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
  const privacyListeners: WxPrivacyListener[] = [];
  let privacyContractOpenings = 0;
  let pageOptions: Record<string, unknown> | undefined;
  let appOptions: { onLaunch?: (this: unknown, launch: unknown) => void } | undefined;
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
    onNeedPrivacyAuthorization: (listener: WxPrivacyListener) => void privacyListeners.push(listener),
    getPrivacySetting(callbacks: Callbacks) {
      setTimeout(() =>
        callbacks.success?.({
          needAuthorization: true,
          privacyContractName: "《沙箱小程序隐私保护指引》",
          errMsg: "getPrivacySetting:ok",
        }),
      );
    },
    openPrivacyContract(callbacks: Callbacks) {
      privacyContractOpenings++;
      setTimeout(() => callbacks.success?.({ errMsg: "openPrivacyContract:ok" }));
    },
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

  function openPage(route: string): WeappPage {
    pageOptions = undefined;
    load(path.join(options.distDir, `${route}.js`));
    const config = pageOptions as Record<string, unknown> | undefined;
    if (!config) throw new Error(`${route}.js did not call Page()`);
    const data: Record<string, unknown> = {};
    // What WeChat's Page instance offers Taro: route, data and setData with data paths.
    const page = Object.assign(Object.create(config) as Record<string, unknown>, {
      route,
      data,
      setData(patch: Record<string, unknown>, callback?: () => void) {
        for (const [key, value] of Object.entries(patch)) setPath(data, key, value);
        if (callback) setTimeout(callback);
      },
    });
    const lifecycle = (name: string, ...args: unknown[]) =>
      (config[name] as (...a: unknown[]) => void).apply(page, args);
    lifecycle("onLoad", {});
    lifecycle("onShow");
    lifecycle("onReady");
    return {
      data,
      texts: () => collectNodes(data).flatMap((node) => (typeof node.v === "string" ? [node.v] : [])),
      has: (id) => collectNodes(data).some((node) => node.uid === id),
      dispatch(id, type, detail = {}) {
        const target = { id, dataset: {} };
        lifecycle("eh", { type, timeStamp: Date.now(), target, currentTarget: target, detail });
      },
      fire: (handler) => lifecycle(handler),
      unload: () => lifecycle("onUnload"),
    };
  }

  return {
    openPage,
    privacyListeners,
    privacyContractOpenings: () => privacyContractOpenings,
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

/** Applies one setData key ("root.cn.[0].cn.[2].v") the way WeChat does. */
function setPath(data: Record<string, unknown>, key: string, value: unknown): void {
  const parts = key.split(".").map((part) => (/^\[\d+\]$/.test(part) ? Number(part.slice(1, -1)) : part));
  let holder: Record<string | number, unknown> = data;
  for (const [index, part] of parts.entries()) {
    if (index === parts.length - 1) {
      holder[part] = value;
      return;
    }
    const next = holder[part];
    if (typeof next !== "object" || next === null) holder[part] = typeof parts[index + 1] === "number" ? [] : {};
    holder = holder[part] as Record<string | number, unknown>;
  }
}

interface RenderedNode {
  uid?: unknown;
  v?: unknown;
  cn?: RenderedNode[];
}

/** Taro's page data is a tree of nodes with children in `cn`; text nodes carry `v`. */
function collectNodes(data: Record<string, unknown>): RenderedNode[] {
  const nodes: RenderedNode[] = [];
  const visit = (node: RenderedNode | undefined) => {
    if (!node || typeof node !== "object") return;
    nodes.push(node);
    for (const child of node.cn ?? []) visit(child);
  };
  visit(data.root as RenderedNode | undefined);
  return nodes;
}
