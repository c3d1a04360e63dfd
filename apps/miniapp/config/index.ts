import { createRequire } from "node:module";
import path from "node:path";
import { defineConfig, type UserConfigExport } from "@tarojs/cli";
import type { IProjectConfig } from "@tarojs/taro/types/compile";
import { resolveClientEnv } from "./client-env";

const appRoot = path.resolve(__dirname, "..");
// Taro only compiles src/ and taro packages; workspace packages (e.g. @mp-auth/taro-link) export
// TypeScript source, so the whole packages/ folder is handed to babel as well.
const workspacePackages = path.resolve(appRoot, "../../packages");

/** The webpack-chain object Taro hands to `webpackChain` (typed loosely by Taro itself). */
type Chain = Parameters<NonNullable<NonNullable<IProjectConfig<"webpack5">["mini"]>["webpackChain"]>>[0];

/**
 * One copy of @trpc/client and @trpc/server in the bundle, and only what is used of them. pnpm
 * installs a copy of each per set of optional peers (@types/express differs between workspace
 * packages), so taro-link and @trpc/tanstack-react-query would each bring their own: the alias
 * points every import at the app's copy (same version: test/trpc-hooks-compat.test.ts). Neither
 * @trpc/client nor @trpc/tanstack-react-query declares `sideEffects: false` (they have none at
 * import time), so without the rule webpack keeps every module they re-export.
 */
function trimTrpc(chain: Chain): void {
  const appRequire = createRequire(path.join(appRoot, "package.json"));
  for (const name of ["@trpc/client", "@trpc/server"])
    chain.resolve.alias.set(name, path.dirname(appRequire.resolve(`${name}/package.json`)));
  chain.module
    .rule("trpc-side-effect-free")
    .test(/[\\/]@trpc[\\/](client|server|tanstack-react-query)[\\/]/)
    // Rule.sideEffects exists in webpack-chain 6 but not in its typings.
    .set("sideEffects", false);
}

/**
 * The weapp chunk holding React Query and tRPC's integration (`<name>.js`, loaded by app.js like
 * Taro's vendors.js): its size is what the typed hooks cost, reported by `pnpm bench`.
 */
export const HOOKS_CHUNK = "query-hooks";
const HOOKS_PACKAGES = /[\\/]node_modules[\\/](@tanstack[\\/]|@trpc[\\/]tanstack-react-query[\\/])/;

function splitHooksChunk(chain: Chain): void {
  const splitChunks = chain.optimization.get("splitChunks") as { cacheGroups?: Record<string, unknown> } | undefined;
  chain.optimization.splitChunks({
    ...splitChunks,
    cacheGroups: {
      ...splitChunks?.cacheGroups,
      [HOOKS_CHUNK]: {
        name: HOOKS_CHUNK,
        test: (module: { resource?: string }) => HOOKS_PACKAGES.test(module.resource ?? ""),
        // Above Taro's vendors (10), below its taro chunk (100).
        priority: 50,
        minChunks: 1,
        enforce: true,
      },
    },
  });
}

export default defineConfig<"webpack5">(() => {
  const platform = process.env.TARO_ENV ?? "weapp";
  const clientEnv = resolveClientEnv(process.env);

  if (platform === "h5" && !clientEnv.TARO_APP_WX_MOCK_URL) {
    // Taro.login has no code on H5: the page would stop at its startup error screen.
    console.warn(
      "\n[mp-auth] H5 build without TARO_APP_WX_MOCK_URL: the page cannot log in and will show a configuration error.\n",
    );
  }

  // Taro's weapp terser settings turn most of terser's compression off and write ES5 ASCII
  // (every Chinese character of the UI as a 6-byte \uXXXX escape). The output keeps modern
  // syntax anyway (DevTools down-levels it on upload, see README), so terser may use it too:
  // about 10 KB less with the typed hooks in the bundle. The weapp build test runs the result.
  const weappTerser: IProjectConfig<"webpack5">["terser"] = {
    enable: true,
    config: {
      compress: {
        ecma: 2020,
        arrows: true,
        collapse_vars: true,
        comparisons: true,
        computed_props: true,
        hoist_props: true,
        inline: true,
        loops: true,
        negate_iife: true,
        properties: true,
        reduce_funcs: true,
        reduce_vars: true,
        switches: true,
        typeofs: true,
        passes: 3,
      },
      output: { ecma: 2020, ascii_only: false },
    },
  };

  // MINIAPP_OUTPUT_DIR lets tests build into their own folder without touching dist/<platform>.
  const outputRoot = process.env.MINIAPP_OUTPUT_DIR || `dist/${platform}`;

  const config: UserConfigExport<"webpack5"> = {
    projectName: "mp-auth-miniapp",
    date: "2025-01-01",
    designWidth: 750,
    deviceRatio: { 640: 2.34 / 2, 750: 1, 375: 2, 828: 1.81 / 2 },
    sourceRoot: "src",
    outputRoot,
    framework: "react",
    compiler: { type: "webpack5", prebundle: { enable: false } },
    cache: { enable: false },
    // H5 keeps Taro's settings but one: its `quote_keys: true` also quotes class private fields
    // (`#x` becomes "#x", a syntax error), which React Query's classes use.
    terser: platform === "h5" ? { enable: true, config: { output: { quote_keys: false } } } : weappTerser,
    logger: { quiet: true, stats: false },
    // Each value becomes a build-time constant `process.env.NAME`; an empty string makes
    // `if (process.env.TARO_APP_WX_MOCK_URL)` a dead branch that webpack removes.
    env: Object.fromEntries(Object.entries(clientEnv).map(([name, value]) => [name, JSON.stringify(value)])),
    plugins: [],
    defineConstants: {},
    copy: { patterns: [], options: {} },
    mini: {
      webpackChain(chain) {
        trimTrpc(chain);
        splitHooksChunk(chain);
      },
      commonChunks: (defaults: string[]) => [...defaults, HOOKS_CHUNK],
      compile: { include: [workspacePackages] },
      postcss: {
        pxtransform: { enable: true, config: {} },
        cssModules: { enable: false },
      },
    },
    h5: {
      publicPath: "/",
      staticDirectory: "static",
      // Hash routing: the build is plain static files that any file server can host.
      router: { mode: "hash" },
      // `pnpm dev:h5` only: keep the dev server off the network and do not try to open a browser.
      devServer: { host: "127.0.0.1", port: 10086, open: false },
      webpackChain(chain) {
        // The page is a test and dev surface; webpack's 244 KB web hint is noise here.
        chain.performance.hints(false);
        trimTrpc(chain);
      },
      compile: { include: [workspacePackages] },
      postcss: {
        autoprefixer: { enable: true, config: {} },
        cssModules: { enable: false },
      },
    },
  };

  return config;
});
