import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { startServer, type RunningServer } from "@mp-auth/server";

/** The real server for a suite: a temp SQLite file, its in-process mock WeChat, random loopback ports. */
export async function startTestServer(name: string): Promise<{ server: RunningServer; close: () => Promise<void> }> {
  const workDir = mkdtempSync(path.join(tmpdir(), `mp-auth-miniapp-${name}-`));
  const server = await startServer({
    env: {
      NODE_ENV: "test",
      HOST: "127.0.0.1",
      PORT: "0",
      WX_MOCK_PORT: "0",
      DATABASE_URL: `file:${path.join(workDir, "test.db")}`,
      UPLOAD_DIR: path.join(workDir, "uploads"),
      SESSION_KEY_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
      LOG_LEVEL: "silent",
    },
  });
  if (!server.mockWechatUrl) throw new Error("the server did not start its mock WeChat");
  return {
    server,
    close: async () => {
      await server.close();
      rmSync(workDir, { recursive: true, force: true });
    },
  };
}
