/**
 * A minimal AbortController / AbortSignal for runtimes without one (WeChat has none, and Taro
 * does not add one). `@trpc/client` creates an AbortController for every call, even with custom
 * links, so the client cannot run without it. It implements only what tRPC and this package use:
 * `aborted`, `reason`, `onabort`, `addEventListener` / `removeEventListener` for "abort",
 * `throwIfAborted()` and `abort(reason)`.
 */

type AbortListener = (event: { type: "abort"; target: MiniAbortSignal }) => void;
type GlobalObject = Record<string, unknown>;

function defaultAbortReason(): Error {
  const reason = new Error("This operation was aborted");
  reason.name = "AbortError";
  return reason;
}

export class MiniAbortSignal {
  // Fields are assigned in the constructor, so the bundle needs no class-field helper (see bench/size.ts).
  declare aborted: boolean;
  /** Undefined until aborted. */
  declare reason: unknown;
  declare onabort: AbortListener | null;
  declare private listeners: AbortListener[];

  constructor() {
    this.aborted = false;
    this.onabort = null;
    this.listeners = [];
  }

  addEventListener(type: string, listener: AbortListener): void {
    // Abort fires at most once, so every listener is a `once` listener anyway.
    if (type === "abort" && this.listeners.indexOf(listener) < 0) this.listeners.push(listener);
  }

  removeEventListener(type: string, listener: AbortListener): void {
    if (type === "abort") this.listeners = this.listeners.filter((known) => known !== listener);
  }

  throwIfAborted(): void {
    if (this.aborted) throw this.reason;
  }

  /** Called by MiniAbortController only. */
  dispatchAbort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason === undefined ? defaultAbortReason() : reason;
    const event = { type: "abort" as const, target: this };
    const listeners = this.listeners;
    this.listeners = [];
    if (this.onabort) this.onabort(event);
    for (const listener of listeners) listener(event);
  }
}

export class MiniAbortController {
  declare readonly signal: MiniAbortSignal;

  constructor() {
    this.signal = new MiniAbortSignal();
  }

  abort(reason?: unknown): void {
    this.signal.dispatchAbort(reason);
  }
}

// A name nobody else uses: the probe below briefly defines it on Object.prototype.
declare const __mpAuthGlobalProbe__: GlobalObject | undefined;

/**
 * Finds the global object without relying on `globalThis` (missing on older WeChat base
 * libraries), `window` (Taro replaces it with its own DOM shim in mini-programs) or
 * `eval` / `new Function` (forbidden in mini-programs).
 *
 * A getter placed on Object.prototype and read as a bare identifier resolves through the global
 * object (which inherits from Object.prototype), so the getter runs with `this` = the global object.
 */
export function findGlobalObjectWithoutGlobalThis(): GlobalObject | undefined {
  const probeName = "__mpAuthGlobalProbe__";
  try {
    Object.defineProperty(Object.prototype, probeName, {
      configurable: true,
      get(this: GlobalObject) {
        return this;
      },
    });
    return typeof __mpAuthGlobalProbe__ === "object" ? __mpAuthGlobalProbe__ : undefined;
  } catch {
    return undefined;
  } finally {
    delete (Object.prototype as unknown as GlobalObject)[probeName];
  }
}

export function findGlobalObject(): GlobalObject | undefined {
  // `typeof` on an undeclared name does not throw, so this is safe where globalThis is missing.
  if (typeof globalThis === "object" && globalThis !== null) {
    return globalThis;
  }
  return findGlobalObjectWithoutGlobalThis();
}

/**
 * Installs MiniAbortController (and MiniAbortSignal) on the global object when, and only when,
 * it has no AbortController. Returns whether it installed them. `target` is for tests.
 */
export function installAbortControllerPolyfill(target: GlobalObject | undefined = findGlobalObject()): boolean {
  if (!target || typeof target["AbortController"] === "function") return false;
  target["AbortController"] = MiniAbortController;
  if (typeof target["AbortSignal"] !== "function") target["AbortSignal"] = MiniAbortSignal;
  return true;
}
