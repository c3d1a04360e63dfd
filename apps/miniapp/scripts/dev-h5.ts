import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { miniappRoot } from "./taro-build";

/**
 * `pnpm dev:h5`: Taro's H5 dev server (http://127.0.0.1:10086) for clicking through the app in a
 * browser. A browser has no wx.login, so unless the shell says otherwise the page logs in through
 * the mock WeChat that the dev server starts (port 3001) and calls the API on port 3000: the
 * ports of `pnpm dev`. Setting TARO_APP_WX_MOCK_URL (even to "") in the shell wins. Production
 * builds (`pnpm build:h5`) still get the mock only when it is set explicitly.
 */
const env = { ...process.env };
env.TARO_APP_API_URL ??= "http://127.0.0.1:3000/trpc";
env.TARO_APP_WX_MOCK_URL ??= "http://127.0.0.1:3001";
console.log(`H5 dev build: API ${env.TARO_APP_API_URL}, mock WeChat login ${env.TARO_APP_WX_MOCK_URL || "(off)"}`);

const taroBin = createRequire(import.meta.url).resolve("@tarojs/cli/bin/taro");
const child = spawn(process.execPath, [taroBin, "build", "--type", "h5", "--watch"], {
  cwd: miniappRoot,
  env,
  stdio: "inherit",
});
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
