import path from "node:path";
import { miniappRoot, taroBuild } from "./taro-build";
import { hooksSizeLines } from "./hooks-size";
import { formatKb, MAIN_PACKAGE_BUDGET_BYTES, measureWeapp, WECHAT_MAIN_PACKAGE_LIMIT_BYTES } from "./weapp-size";

/**
 * `pnpm bench`: builds the weapp (production, default settings, no mock) into dist/bench/weapp and
 * prints its size. Pass a folder to measure an existing build instead: `pnpm bench dist/weapp`.
 */
async function main(): Promise<void> {
  const existing = process.argv[2];
  let distDir: string;
  if (existing) {
    distDir = path.resolve(process.cwd(), existing);
  } else {
    const outputDir = "dist/bench/weapp";
    const { durationMs } = await taroBuild({ platform: "weapp", outputDir });
    console.log(`weapp build: ${(durationMs / 1000).toFixed(1)} s`);
    distDir = path.join(miniappRoot, outputDir);
  }

  const size = measureWeapp(distDir);
  console.log(`weapp dist total:  ${formatKb(size.totalBytes)}`);
  for (const line of hooksSizeLines(size)) console.log(line);
  console.log(
    `main package:      ${formatKb(size.mainPackageBytes)} (budget ${formatKb(MAIN_PACKAGE_BUDGET_BYTES)}, WeChat limit ${formatKb(WECHAT_MAIN_PACKAGE_LIMIT_BYTES)})`,
  );
  for (const [root, bytes] of Object.entries(size.subpackageBytes))
    console.log(`subpackage ${root}: ${formatKb(bytes)}`);
  console.log("largest files of the main package:");
  for (const { file, bytes } of size.largestFiles) console.log(`  ${formatKb(bytes).padStart(10)}  ${file}`);
  if (size.mainPackageBytes > MAIN_PACKAGE_BUDGET_BYTES) {
    // Informational only: the hard 2 MB limit is enforced by test/weapp-build.test.ts.
    console.log(`warning: the main package is over the ${formatKb(MAIN_PACKAGE_BUDGET_BYTES)} budget`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
