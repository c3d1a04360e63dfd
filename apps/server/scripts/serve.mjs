// @ts-check
/**
 * What `pnpm serve` runs, with plain node: builds dist/main.mjs when it is missing or stale (see
 * build.mjs), then imports it in this same process. One process from pnpm's exec to the
 * listening server, so SIGTERM / SIGINT sent to it reach the server's own handlers.
 *
 * When the build is up to date this costs one stat per bundled source file (a few ms); esbuild is
 * not even loaded.
 */
import { pathToFileURL } from "node:url";
import { distEntry, ensureServerBuilt } from "./build.mjs";

await ensureServerBuilt();
await import(pathToFileURL(distEntry).href);
