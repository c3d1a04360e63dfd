import { mkdtemp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { migrateDatabase } from "@mp-auth/db";
import { mintLoginCode } from "@mp-auth/wechat/mock";
import { startRealServer, startTimedWechat, type Workspace } from "./servers.ts";

export interface Fixture {
  workspace: Workspace;
  /** A live session token issued by the real server's auth.login. */
  token: string;
  stopWechat(): Promise<void>;
}

/** POST a tRPC mutation with a JSON body; returns the parsed `result.data` or throws with the body. */
export async function callMutation<T>(baseUrl: string, procedure: string, input: unknown, token?: string): Promise<T> {
  const response = await fetch(`${baseUrl}/trpc/${procedure}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(input),
  });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`${procedure} answered ${response.status}: ${text}`);
  return (JSON.parse(text) as { result: { data: T } }).result.data;
}

/**
 * One SQLite file migrated by the project's own migrations, and one user with one live session,
 * made through the real server's auth.login against the mock WeChat, so the token is real and
 * every server looks up the same hash. The nickname has non-ASCII characters so byte-identical
 * answers also mean identical UTF-8.
 */
export async function createFixture(): Promise<Fixture> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "mp-auth-bench-"));
  const databaseFile = path.join(dir, "bench.db");
  await migrateDatabase(`file:${databaseFile}`);
  const wechat = await startTimedWechat(dir);
  const workspace: Workspace = { dir, databaseFile, wechatUrl: wechat.url };
  const server = await startRealServer(workspace, "fixture-server");
  try {
    const { code } = await mintLoginCode(wechat.url, { openid: "bench-user-me" });
    const { token } = await callMutation<{ token: string }>(server.url, "auth.login", { code });
    await callMutation(server.url, "user.updateProfile", { nickname: "Bench 用户 🚀" }, token);
    return { workspace, token, stopWechat: () => wechat.stop() };
  } catch (error) {
    await wechat.stop();
    throw error;
  } finally {
    await server.spawned.stop();
  }
}
