/**
 * Runs the mock WeChat server on its own: `pnpm --filter @mp-auth/wechat mock`.
 * Env: WX_MOCK_HOST (127.0.0.1), WX_MOCK_PORT (3001), WX_MOCK_APPID, WX_MOCK_SECRET; or
 * WX_MOCK_APPIDS (comma-separated) for several apps, with the secrets of mockAppsFor.
 */
import { MOCK_DEFAULT_APPID, MOCK_DEFAULT_PORT, MOCK_DEFAULT_SECRET, mockAppsFor } from "./defaults.ts";
import { startMockWechat } from "./server.ts";

function readPort(raw: string | undefined): number {
  if (raw === undefined || raw === "") return MOCK_DEFAULT_PORT;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    console.error(`WX_MOCK_PORT must be a port number (0-65535), got "${raw}"`);
    process.exit(1);
  }
  return port;
}

const appid = process.env.WX_MOCK_APPID || MOCK_DEFAULT_APPID;
const secret = process.env.WX_MOCK_SECRET || MOCK_DEFAULT_SECRET;
const severalAppids = (process.env.WX_MOCK_APPIDS ?? "")
  .split(",")
  .map((id) => id.trim())
  .filter(Boolean);
const mock = await startMockWechat({
  host: process.env.WX_MOCK_HOST || "127.0.0.1",
  port: readPort(process.env.WX_MOCK_PORT),
  ...(severalAppids.length > 0 ? { apps: mockAppsFor(severalAppids) } : { appid, secret }),
});

console.log(`Mock WeChat listening on ${mock.url}`);
if (severalAppids.length > 0) {
  // mockAppsFor's secrets are fake by construction: showing them helps.
  for (const app of mock.apps) console.log(`  appid ${app.appid}, secret ${app.secret}`);
} else {
  console.log(`  appid ${appid}`);
  // The default secret is a public constant, so showing it helps; a custom one is not echoed.
  console.log(`  secret ${process.env.WX_MOCK_SECRET ? "from WX_MOCK_SECRET" : MOCK_DEFAULT_SECRET}`);
}
console.log(`  mint a login code: curl -X POST ${mock.url}/mock/login -d '{}'`);
console.log(`  mint a phone code: curl -X POST ${mock.url}/mock/phone -d '{}'`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    void mock.close().then(() => process.exit(0));
  });
}
