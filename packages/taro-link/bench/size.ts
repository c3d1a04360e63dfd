/**
 * Prints the package's size (minified + gzipped, @trpc/* external) and the request counts of the
 * 50-call case: 50 concurrent calls on a session the server refuses.
 *
 * Run: pnpm bench (tsx bench/size.ts). Node-only: it is never bundled into the mini-program.
 */
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { ERROR_TAXONOMY } from "@mp-auth/contract";
import { build } from "esbuild";
import { createMiniappClient } from "../src/create-miniapp-client.ts";
import { DEFAULT_STORAGE_KEY } from "../src/session.ts";
import { FakeTaro } from "../test/support/fake-taro.ts";
import { FakeAuthServer } from "../test/support/fake-trpc-server.ts";
// Type only: a router shaped like the real one, as the mini-program imports it.
import type { ShapeRouter } from "../test/support/shape-router.ts";

const SIZE_TARGET_BYTES = 5 * 1024;
const entryPoint = fileURLToPath(new URL("../src/index.ts", import.meta.url));

async function bundledSize(external: string[]): Promise<{ minified: number; gzipped: number; taxonomyTexts: number }> {
  const result = await build({
    entryPoints: [entryPoint],
    bundle: true,
    minify: true,
    format: "esm",
    platform: "browser",
    // The weapp build keeps modern syntax (see stack notes); ES2018 is what WeChat runs natively.
    target: "es2018",
    external,
    write: false,
    logLevel: "silent",
  });
  const code = result.outputFiles[0]!.contents;
  // The link reads errors with the contract's readErrorData; the table of English texts must not come along.
  const text = result.outputFiles[0]!.text;
  const taxonomyTexts = Object.values(ERROR_TAXONOMY).filter((row) => text.includes(row.message)).length;
  return { minified: code.byteLength, gzipped: gzipSync(code, { level: 9 }).byteLength, taxonomyTexts };
}

async function fiftyCallCase() {
  const server = new FakeAuthServer();
  const taro = new FakeTaro({ respond: server.respond });
  let codeRequests = 0;
  const { client } = createMiniappClient<ShapeRouter>({
    url: "http://127.0.0.1:3000/trpc",
    taro,
    codeSource: async () => `code-${++codeRequests}`,
  });
  // A stored token that looks valid locally but that the server refuses (expired server-side).
  taro.setStorageSync(DEFAULT_STORAGE_KEY, {
    token: "expired-on-server",
    expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
  });
  const results = await Promise.allSettled(Array.from({ length: 50 }, () => client.user.me.query()));
  return {
    succeeded: results.filter((result) => result.status === "fulfilled").length,
    taroRequests: taro.requests.length,
    codeRequests,
    authLoginCalls: server.loginCalls,
    userMeExecutions: server.meCalls,
  };
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(2)} KB`;

const own = await bundledSize(["@trpc/client", "@trpc/server", "@trpc/server/*"]);
const withTrpc = await bundledSize([]);
const counts = await fiftyCallCase();

console.log("@mp-auth/taro-link size (esbuild, browser, es2018, minified):");
console.log(
  `  link only (@trpc/* external): ${own.minified} B minified, ${own.gzipped} B gzipped (${kb(own.gzipped)}; target <= ${kb(SIZE_TARGET_BYTES)}: ${own.gzipped <= SIZE_TARGET_BYTES ? "OK" : "OVER"})`,
);
console.log(`  taxonomy texts bundled:       ${own.taxonomyTexts} (must be 0)`);
console.log(
  `  with @trpc/client bundled:    ${withTrpc.minified} B minified, ${withTrpc.gzipped} B gzipped (${kb(withTrpc.gzipped)})`,
);
console.log("50 concurrent calls on a session the server refuses:");
console.log(`  calls succeeded:        ${counts.succeeded} / 50`);
console.log(`  Taro.request calls:     ${counts.taroRequests}`);
console.log(`  login code requests:    ${counts.codeRequests}`);
console.log(`  auth.login calls:       ${counts.authLoginCalls}`);
console.log(`  user.me executions:     ${counts.userMeExecutions} (50 refused + 50 retried)`);

if (own.gzipped > SIZE_TARGET_BYTES || own.taxonomyTexts > 0) process.exitCode = 1;
