// @ts-check
/**
 * The production build of the server: src/main.ts and the workspace packages it imports
 * (@mp-auth/api, /db, /wechat, /contract, all TypeScript source) bundled by esbuild into
 * dist/main.mjs, which plain `node` runs. No tsx and no TypeScript at run time.
 *
 * This file is plain JavaScript on purpose: `pnpm serve` runs it with plain node before anything
 * is built (Node 20 cannot run TypeScript), through scripts/serve.mjs.
 *
 *   node scripts/build.mjs            builds (what `pnpm build` runs)
 *   node scripts/build.mjs --if-stale builds only when dist/ is missing or stale
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const scriptsDir = path.dirname(fileURLToPath(import.meta.url));
export const serverDir = path.resolve(scriptsDir, "..");
export const repoRoot = path.resolve(serverDir, "../..");
export const distDir = path.join(serverDir, "dist");
/** The built entry: `node apps/server/dist/main.mjs` starts the server. */
export const distEntry = path.join(distDir, "main.mjs");
/** What the last build read, with sizes and mtimes: the staleness check compares against it. */
const stampName = "build-stamp.json";

/**
 * @typedef {object} BuildOptions
 * @property {string} [outDir] where main.mjs goes; dist/ by default (tests build elsewhere)
 */

/**
 * Imports left out of the bundle and loaded from node_modules at run time:
 * - better-sqlite3: a native addon (its .node file is found through `bindings`);
 * - the Prisma query compiler's wasm, as a base64 module per database (2.4 MB for SQLite): Prisma's
 *   client imports it on its first query; as its own file it is not parsed with the bundle's code;
 * - pino-pretty: a dev dependency, loaded on demand by `pnpm dev` only, never in production.
 * Everything else is bundled. Measured (CPU time from spawn to the first 200 on /healthz, median
 * of 7): this split 470 ms; everything bundled, wasm included, 550 ms; every node_modules package
 * external 700 ms; tsx on the sources 1750 ms. See apps/server/README.md, "Start-up time".
 */
const externalImport = new RegExp(
  [
    String.raw`^better-sqlite3$`,
    String.raw`^@prisma/client/runtime/query_(compiler|engine)_bg\.[a-z]+(\.wasm-base64)?\.m?js$`,
    String.raw`^pino-pretty$`,
  ].join("|"),
);

/**
 * Files outside node_modules whose change alters what the bundle would be, besides the bundled
 * source files themselves (read from esbuild's metafile): the lockfile (versions and install
 * paths of dependencies), the workspace manifests (exports maps), this script.
 */
function extraInputs() {
  return [
    path.join(repoRoot, "pnpm-lock.yaml"),
    path.join(repoRoot, "tsconfig.base.json"),
    path.join(serverDir, "package.json"),
    path.join(serverDir, "tsconfig.json"),
    fileURLToPath(import.meta.url),
  ];
}

/**
 * One line per input: path, size, mtime. A file that is gone counts as changed. Cheap: one stat
 * per source file (about a hundred), no reading.
 * @param {string[]} files absolute paths
 */
function fingerprint(files) {
  const hash = createHash("sha256");
  for (const file of [...files].sort()) {
    let line = `${file}\0missing`;
    try {
      const stat = statSync(file);
      line = `${file}\0${stat.size}\0${stat.mtimeMs}`;
    } catch {
      // Deleted or renamed since the last build: the fingerprint differs, so it rebuilds.
    }
    hash.update(`${line}\n`);
  }
  return hash.digest("hex");
}

/**
 * @typedef {{ inputs: string[]; fingerprint: string; node: string }} BuildStamp
 * inputs: repository-relative paths of the files the last build read.
 */

/**
 * @param {string} outDir
 * @returns {BuildStamp | undefined}
 */
function readStamp(outDir) {
  try {
    return JSON.parse(readFileSync(path.join(outDir, stampName), "utf8"));
  } catch {
    return undefined;
  }
}

/**
 * Why dist/main.mjs must be (re)built, or undefined when it is up to date: missing, built by
 * another Node major, or any input (a bundled source file of the server or of a workspace
 * package, the generated Prisma client, the lockfile, a manifest) changed, appeared or vanished
 * since. A new file nothing imports yet cannot change the bundle; the file that starts importing
 * it changes, and that is caught.
 * @param {BuildOptions} [options]
 * @returns {string | undefined}
 */
export function staleReason({ outDir = distDir } = {}) {
  if (!existsSync(path.join(outDir, "main.mjs"))) return "dist/main.mjs is missing";
  const stamp = readStamp(outDir);
  if (!stamp) return `dist/${stampName} is missing`;
  if (stamp.node !== nodeMajor()) return `it was built for Node ${stamp.node}`;
  const files = stamp.inputs.map((input) => path.resolve(repoRoot, input));
  if (fingerprint(files) !== stamp.fingerprint) return "a source file changed";
  return undefined;
}

function nodeMajor() {
  return process.versions.node.split(".")[0] ?? "";
}

/**
 * Resolves externals to paths relative to dist/, so `node dist/main.mjs` finds them although
 * pnpm installs transitive dependencies (better-sqlite3 via @mp-auth/db) out of
 * apps/server/node_modules. Relative paths keep the repository movable; the lockfile is an
 * input, so a dependency update rebuilds.
 * @param {string} outDir
 * @returns {import("esbuild").Plugin}
 */
function externalsFromNodeModules(outDir) {
  return {
    name: "externals-from-node-modules",
    setup(build) {
      build.onResolve({ filter: externalImport }, async (args) => {
        if (args.pluginData === "externals-from-node-modules") return undefined;
        const resolved = await build.resolve(args.path, {
          kind: args.kind,
          resolveDir: args.resolveDir,
          importer: args.importer,
          pluginData: "externals-from-node-modules",
        });
        if (resolved.errors.length > 0) return { errors: resolved.errors };
        const relative = path.relative(outDir, resolved.path).split(path.sep).join("/");
        return { path: relative.startsWith(".") ? relative : `./${relative}`, external: true };
      });
    },
  };
}

/**
 * Bundled workspace files that locate things next to themselves (`import.meta.url`: the repository
 * root and .data/, prisma/migrations and the Prisma CLI, the generated client's folder) keep
 * pointing at their own place in the repository, not at dist/.
 * @param {string} outDir
 * @returns {import("esbuild").Plugin}
 */
function importMetaUrlOfSourceFile(outDir) {
  return {
    name: "import-meta-url-of-source-file",
    setup(build) {
      build.onLoad({ filter: /\.[cm]?ts$/ }, (args) => {
        if (args.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
        const source = readFileSync(args.path, "utf8");
        if (!source.includes("import.meta.url")) return undefined;
        const relative = path.relative(outDir, args.path).split(path.sep).join("/");
        return {
          contents: source.replaceAll("import.meta.url", `new URL(${JSON.stringify(relative)}, import.meta.url).href`),
          loader: "ts",
        };
      });
    },
  };
}

/**
 * Builds dist/main.mjs (ESM, Node 20, with a source map) and dist/build-stamp.json. Output files
 * are written under temporary names and renamed, so a server starting meanwhile (or a second
 * `pnpm serve` building at the same time) never imports half a file.
 * @param {BuildOptions} [options]
 * @returns {Promise<{ ms: number; bytes: number }>}
 */
export async function buildServer({ outDir = distDir } = {}) {
  const started = performance.now();
  // Loaded only here: a start whose build is up to date never loads esbuild.
  const esbuild = await import("esbuild");
  const result = await esbuild.build({
    absWorkingDir: serverDir,
    entryPoints: { main: "src/main.ts" },
    outdir: outDir,
    outExtension: { ".js": ".mjs" },
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    sourcemap: "linked",
    metafile: true,
    write: false,
    logLevel: "warning",
    // CommonJS dependencies (pino, ...) call require() for Node's built-ins; ESM has none.
    banner: {
      js: 'import { createRequire as __createRequire } from "node:module"; const require = __createRequire(import.meta.url);',
    },
    plugins: [externalsFromNodeModules(outDir), importMetaUrlOfSourceFile(outDir)],
  });

  const inputs = Object.keys(result.metafile.inputs)
    .map((input) => path.resolve(serverDir, input))
    // Dependencies under node_modules change only with the lockfile, which is an input.
    .filter((file) => !file.includes(`${path.sep}node_modules${path.sep}`))
    .concat(extraInputs());
  const relativeInputs = [...new Set(inputs)].map((file) => path.relative(repoRoot, file)).sort();
  /** @type {BuildStamp} */
  const stamp = {
    inputs: relativeInputs,
    fingerprint: fingerprint(relativeInputs.map((input) => path.resolve(repoRoot, input))),
    node: nodeMajor(),
  };

  mkdirSync(outDir, { recursive: true });
  let bytes = 0;
  const temporary = (/** @type {string} */ file) => `${file}.${process.pid}.tmp`;
  const stampFile = path.join(outDir, stampName);
  for (const output of result.outputFiles) {
    writeFileSync(temporary(output.path), output.contents);
    bytes += output.contents.byteLength;
  }
  for (const output of result.outputFiles) renameSync(temporary(output.path), output.path);
  // Last: a build interrupted before this line leaves no stamp, so the next start rebuilds.
  writeFileSync(temporary(stampFile), `${JSON.stringify(stamp, null, 2)}\n`);
  renameSync(temporary(stampFile), stampFile);
  return { ms: performance.now() - started, bytes };
}

/**
 * Builds when dist/ is missing or stale; says why on stderr (stdout carries the JSON log lines).
 * @returns {Promise<boolean>} whether it built
 */
export async function ensureServerBuilt() {
  const reason = staleReason();
  if (!reason) return false;
  process.stderr.write(`Building the server (${reason})...\n`);
  const { ms, bytes } = await buildServer();
  process.stderr.write(`Built apps/server/dist/main.mjs (${(bytes / 1024).toFixed(0)} KB) in ${ms.toFixed(0)} ms\n`);
  return true;
}

if (process.argv[1] && pathToFileURL(process.argv[1]).href === import.meta.url) {
  if (process.argv.includes("--if-stale")) {
    await ensureServerBuilt();
  } else {
    const { ms, bytes } = await buildServer();
    console.log(`Built apps/server/dist/main.mjs (${(bytes / 1024).toFixed(0)} KB) in ${ms.toFixed(0)} ms`);
  }
}
