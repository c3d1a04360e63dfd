import { fileURLToPath } from "node:url";
import vm from "node:vm";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";
import { FakeTaro } from "./support/fake-taro.ts";
import { FakeAuthServer } from "./support/fake-trpc-server.ts";

/**
 * Runs the bundled package (with @trpc/client inside, as the mini-program ships it) in a bare
 * JavaScript realm shaped like WeChat's: ECMAScript built-ins plus timers, and NO globalThis,
 * fetch, AbortController, AbortSignal, URL, URLSearchParams, TextDecoder, FormData, Blob,
 * window or document. The only platform object is a `wx`-like fake.
 */
describe("in a WeChat-like runtime", () => {
  it("logs in, calls, relogs in and aborts with only ECMAScript built-ins and timers", async () => {
    const bundle = await build({
      entryPoints: [fileURLToPath(new URL("../src/index.ts", import.meta.url))],
      bundle: true,
      format: "iife",
      globalName: "MpAuthTaroLink",
      platform: "neutral",
      mainFields: ["module", "main"],
      target: "es2018",
      write: false,
      logLevel: "silent",
    });

    const server = new FakeAuthServer();
    const wx = new FakeTaro({ respond: server.respond });
    const sandbox = vm.createContext({ setTimeout, clearTimeout, wx });
    vm.runInContext("delete globalThis.globalThis;", sandbox);
    const missing: unknown = vm.runInContext(
      `['globalThis','fetch','AbortController','AbortSignal','URL','URLSearchParams','TextDecoder','FormData','Blob','window','document','process','Buffer']
        .filter((name) => eval('typeof ' + name) !== 'undefined')`,
      sandbox,
    );
    expect(Array.from(missing as string[])).toEqual([]);

    vm.runInContext(bundle.outputFiles[0]!.text, sandbox);
    const outcome = (await vm.runInContext(
      `(async () => {
        const { createMiniappClient } = MpAuthTaroLink;
        const { client, session, authenticated } = createMiniappClient({ url: 'https://api.example.com/trpc', taro: wx });
        const installed = typeof AbortController === 'function';
        const launched = await session.ensureSession();
        const me = await client.user.me.query();
        wx.setStorageSync('mp-auth.session', { token: 'revoked', expiresAt: launched.expiresAt });
        const afterRelogin = await Promise.all([client.user.me.query(), client.user.me.query()]);
        const sentHeader = await authenticated((headers) => Promise.resolve(headers.Authorization));
        const controller = new AbortController();
        const aborted = client.user.me.query(undefined, { signal: controller.signal }).then(() => 'resolved', (error) => error.message);
        await new Promise((resolve) => setTimeout(resolve, 0));
        controller.abort();
        return { installed, token: launched.token, me, afterRelogin: afterRelogin.length, sentHeader, aborted: await aborted, stored: session.getToken() };
      })()`,
      sandbox,
    )) as Record<string, unknown>;

    expect(outcome["installed"]).toBe(true);
    expect(outcome["token"]).toBe("token-1");
    expect(JSON.parse(JSON.stringify(outcome["me"]))).toEqual({ id: "u1", nickname: "Tester", avatarUrl: null });
    expect(outcome["afterRelogin"]).toBe(2);
    expect(outcome["sentHeader"]).toBe("Bearer token-2");
    expect(outcome["aborted"]).toMatch(/Abort/);
    expect(outcome["stored"]).toBe("token-2");
    expect(wx.loginCalls).toBe(2);
    expect(server.loginCalls).toBe(2);
    expect(wx.requests.at(-1)!.abortCalls).toBe(1);
  });
});
