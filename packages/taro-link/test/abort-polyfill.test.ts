import { createTRPCUntypedClient } from "@trpc/client";
import type { AnyRouter } from "@trpc/server/unstable-core-do-not-import";
import { describe, expect, it, vi } from "vitest";
import {
  findGlobalObject,
  findGlobalObjectWithoutGlobalThis,
  installAbortControllerPolyfill,
  MiniAbortController,
  MiniAbortSignal,
} from "../src/abort-polyfill.ts";
import { taroRequestLink } from "../src/taro-request-link.ts";
import { FakeTaro } from "./support/fake-taro.ts";

describe("installAbortControllerPolyfill", () => {
  it("installs AbortController and AbortSignal when the global object has none", () => {
    const bareGlobal: Record<string, unknown> = {};
    expect(installAbortControllerPolyfill(bareGlobal)).toBe(true);
    expect(bareGlobal["AbortController"]).toBe(MiniAbortController);
    expect(bareGlobal["AbortSignal"]).toBe(MiniAbortSignal);
  });

  it("leaves an existing AbortController alone", () => {
    class NativeLike {}
    const withNative: Record<string, unknown> = { AbortController: NativeLike };
    expect(installAbortControllerPolyfill(withNative)).toBe(false);
    expect(withNative["AbortController"]).toBe(NativeLike);
    expect(withNative["AbortSignal"]).toBeUndefined();
  });

  it("does nothing on Node, which has a native AbortController", () => {
    const native = AbortController;
    expect(installAbortControllerPolyfill()).toBe(false);
    expect(AbortController).toBe(native);
  });

  it("does nothing when no global object can be found", () => {
    expect(installAbortControllerPolyfill(undefined)).toBe(false);
  });
});

describe("finding the global object", () => {
  it("finds the same object without globalThis, and leaves Object.prototype clean", () => {
    expect(findGlobalObjectWithoutGlobalThis()).toBe(globalThis);
    expect(findGlobalObject()).toBe(globalThis);
    expect("__mpAuthGlobalProbe__" in Object.prototype).toBe(false);
  });
});

describe("MiniAbortController", () => {
  it("aborts once, notifies listeners and onabort, and records the reason", () => {
    const controller = new MiniAbortController();
    const listener = vi.fn();
    const removed = vi.fn();
    const onabort = vi.fn();
    controller.signal.addEventListener("abort", listener);
    controller.signal.addEventListener("abort", listener); // a duplicate is ignored, like the DOM
    controller.signal.addEventListener("abort", removed);
    controller.signal.removeEventListener("abort", removed);
    controller.signal.onabort = onabort;
    expect(() => controller.signal.throwIfAborted()).not.toThrow();

    controller.abort("why");
    controller.abort("again");

    expect(controller.signal.aborted).toBe(true);
    expect(controller.signal.reason).toBe("why");
    expect(listener).toHaveBeenCalledTimes(1);
    expect(onabort).toHaveBeenCalledTimes(1);
    expect(removed).not.toHaveBeenCalled();
    expect(() => controller.signal.throwIfAborted()).toThrow();
  });

  it("defaults the reason to an AbortError", () => {
    const controller = new MiniAbortController();
    controller.abort();
    expect(controller.signal.reason).toMatchObject({ name: "AbortError" });
  });

  it("is enough for @trpc/client: calls, batching and abort work with only the polyfill", async () => {
    const globals = globalThis as unknown as Record<string, unknown>;
    const nativeController = globals["AbortController"];
    const nativeSignal = globals["AbortSignal"];
    delete globals["AbortController"];
    delete globals["AbortSignal"];
    try {
      expect(installAbortControllerPolyfill()).toBe(true);
      expect(globals["AbortController"]).toBe(MiniAbortController);

      const taro = new FakeTaro();
      const client = createTRPCUntypedClient<AnyRouter>({
        links: [taroRequestLink({ url: "http://127.0.0.1:1/trpc", taro })],
      });
      const answered = client.query("user.me");
      const controller = new MiniAbortController();
      const aborted = client.query("user.other", undefined, {
        signal: controller.signal as unknown as AbortSignal,
      });
      await vi.waitFor(() => expect(taro.requests).toHaveLength(1), { interval: 1 });
      // Only when every call of a batch is aborted is the request aborted: here one is left.
      controller.abort();
      taro.requests[0]!.respond(200, JSON.stringify([{ result: { data: "me" } }, { result: { data: "other" } }]));
      await expect(answered).resolves.toBe("me");
      await aborted.catch(() => undefined);

      const lone = new MiniAbortController();
      const loneCall = client.query("user.me", undefined, { signal: lone.signal as unknown as AbortSignal });
      await vi.waitFor(() => expect(taro.requests).toHaveLength(2), { interval: 1 });
      lone.abort();
      await expect(loneCall).rejects.toThrow();
      expect(taro.requests[1]!.abortCalls).toBe(1);
    } finally {
      globals["AbortController"] = nativeController;
      globals["AbortSignal"] = nativeSignal;
    }
  });
});
