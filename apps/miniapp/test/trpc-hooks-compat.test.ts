import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import type { AppRouter } from "@mp-auth/api";
import type { RunningServer } from "@mp-auth/server";
import { createMiniappClient } from "@mp-auth/taro-link";
import { mintLoginCode } from "@mp-auth/wechat/mock";
import { MutationObserver, QueryObserver, type QueryObserverResult } from "@tanstack/react-query";
import { createTRPCOptionsProxy } from "@trpc/tanstack-react-query";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createQueryClient } from "../src/services/query-client";
import { FetchTaro } from "./helpers/fetch-taro";
import { startTestServer } from "./helpers/real-server";

/**
 * @trpc/tanstack-react-query 11.22.1 (the newest the registry serves) declares exact peers
 * @trpc/client and @trpc/server 11.22.1; the project runs 11.25.2, and root package.json allows
 * that pairing. This suite is why that is sound: the package uses only public, present exports
 * of the installed @trpc packages, and its options drive the real client against the real server.
 */

const require = createRequire(import.meta.url);
const hooksDir = path.dirname(require.resolve("@trpc/tanstack-react-query/package.json"));
const hooksRequire = createRequire(path.join(hooksDir, "package.json"));

function versionOf(name: string): string {
  return (JSON.parse(readFileSync(hooksRequire.resolve(`${name}/package.json`), "utf8")) as { version: string })
    .version;
}

describe("@trpc/tanstack-react-query against the project's @trpc version", () => {
  it("runs on the same @trpc/client and @trpc/server version as the app's own client", () => {
    const linkRequire = createRequire(require.resolve("@mp-auth/taro-link"));
    const linkVersion = (name: string) =>
      (JSON.parse(readFileSync(linkRequire.resolve(`${name}/package.json`), "utf8")) as { version: string }).version;
    expect(versionOf("@trpc/client")).toBe(linkVersion("@trpc/client"));
    expect(versionOf("@trpc/server")).toBe(linkVersion("@trpc/server"));
    // Not the version it declares: what the pairing allowed in root package.json is about.
    expect(versionOf("@trpc/client")).not.toBe(
      (JSON.parse(readFileSync(path.join(hooksDir, "package.json"), "utf8")) as { version: string }).version,
    );
  });

  it("imports nothing from @trpc that the installed version lacks", async () => {
    const source = readFileSync(path.join(hooksDir, "dist/index.mjs"), "utf8");
    const imports = [...source.matchAll(/import \{([^}]*)\} from "(@trpc\/[^"]+)"/g)].map((match) => ({
      module: match[2]!,
      names: match[1]!.split(",").map((name) => name.trim().split(/\s+as\s+/)[0]!),
    }));
    // What the package relies on: the untyped client (public), the procedure proxy and caller
    // (public), and four tiny helpers of the unstable core.
    expect(imports.map(({ module }) => module).sort()).toEqual([
      "@trpc/client",
      "@trpc/server",
      "@trpc/server/unstable-core-do-not-import",
    ]);
    for (const { module, names } of imports) {
      const loaded = (await import(hooksRequire.resolve(module))) as Record<string, unknown>;
      for (const name of names) expect(typeof loaded[name], `${module} ${name}`).toBe("function");
    }
  });
});

let server: RunningServer;
let stopServer: (() => Promise<void>) | undefined;

beforeAll(async () => {
  ({ server, close: stopServer } = await startTestServer("hooks"));
});

afterAll(async () => {
  await stopServer?.();
});

function launch() {
  const openid = `o-${randomBytes(6).toString("hex")}`;
  const { client, session } = createMiniappClient<AppRouter>({
    url: server.trpcUrl,
    taro: new FetchTaro(),
    codeSource: async () => (await mintLoginCode(server.mockWechatUrl!, { openid })).code,
    retry: { retries: 0 },
  });
  const queryClient = createQueryClient();
  const trpc = createTRPCOptionsProxy<AppRouter>({ client, queryClient });
  return { client, session, queryClient, trpc };
}

/** The next result of an observer (what useQuery re-renders with) that satisfies `done`. */
function nextResult<T>(
  observer: {
    getCurrentResult: () => QueryObserverResult<T, unknown>;
    subscribe: (listener: (result: QueryObserverResult<T, unknown>) => void) => () => void;
  },
  done: (result: QueryObserverResult<T, unknown>) => boolean,
): Promise<QueryObserverResult<T, unknown>> {
  return new Promise((resolve) => {
    const current = observer.getCurrentResult();
    if (done(current)) return resolve(current);
    const unsubscribe = observer.subscribe((result) => {
      if (!done(result)) return;
      unsubscribe();
      resolve(result);
    });
  });
}

describe("the typed options over taro-link, against the real server", () => {
  it("queries, mutates and invalidates through the app's client and session", async () => {
    const { queryClient, trpc } = launch();

    const me = await queryClient.fetchQuery(trpc.user.me.queryOptions());
    expect(me.id).toEqual(expect.any(String));
    expect(queryClient.getQueryData(trpc.user.me.queryKey())).toEqual(me);
    const meObserver = new QueryObserver(queryClient, trpc.user.me.queryOptions());
    meObserver.subscribe(() => undefined);

    // The observer useQuery subscribes: success, then a refetch after invalidation by path.
    const sessionsObserver = new QueryObserver(queryClient, trpc.auth.sessions.queryOptions());
    const first = await nextResult(sessionsObserver, (result) => result.isSuccess);
    expect(first.data).toHaveLength(1);

    const mutation = new MutationObserver(
      queryClient,
      trpc.user.updateProfile.mutationOptions({
        onSuccess: () => queryClient.invalidateQueries(trpc.user.pathFilter()),
      }),
    );
    const updated = await mutation.mutate({ nickname: "小明" });
    expect(updated.nickname).toBe("小明");
    // user.me has an observer (a mounted page): invalidating user.* refetches it from the server.
    await nextResult(meObserver, (result) => result.data?.nickname === "小明");
    meObserver.destroy();
  });

  it("hands a server refusal to React Query with the contract's data, and does not retry it", async () => {
    const { queryClient, trpc, client } = launch();
    await client.user.me.query();
    const mutation = new MutationObserver(queryClient, trpc.auth.revoke.mutationOptions());
    const error = await mutation.mutate({ id: "not-a-session" }).then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(error).toMatchObject({ data: { code: "NOT_FOUND", reason: "NOT_FOUND", action: "show" } });
    expect(mutation.getCurrentResult().failureCount).toBe(1);
  });
});
