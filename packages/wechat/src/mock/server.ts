/**
 * A real HTTP server standing in for api.weixin.qq.com in development and tests.
 * WeChat routes live in routes/ (one file per endpoint); this file does the plumbing they share.
 */
import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { MockClock } from "./clock.ts";
import { MOCK_DEFAULT_APPID, MOCK_DEFAULT_CODE_TTL_MS, MOCK_DEFAULT_SECRET } from "./defaults.ts";
import { FaultQueue } from "./faults.ts";
import { readJsonBody, sendBadGatewayPage, sendJson, sendWechatAnswer } from "./http.ts";
import { CONTROL_ROUTES } from "./routes/control.ts";
import { WECHAT_ROUTES } from "./routes/index.ts";
import { MockRequestError } from "./routes/types.ts";
import type { ControlMethod, MockContext, WechatRoute } from "./routes/types.ts";
import { MockState, type MockAppCredentials } from "./state.ts";
import { wechatErrorAnswer } from "./wechat-errors.ts";

export interface StartMockWechatOptions {
  /** Default 127.0.0.1: the mock is for this machine only. */
  host?: string;
  /** Default 0: the OS picks a free port (read it from `MockWechat.port`). */
  port?: number;
  /** The appid the mock accepts; default MOCK_DEFAULT_APPID. One app; for several, `apps`. */
  appid?: string;
  /** The secret the mock accepts; default MOCK_DEFAULT_SECRET. */
  secret?: string;
  /**
   * Several mini-programs, each with its own secret, users, codes and tokens (not with
   * `appid`/`secret`). The first is the default of the /mock/* routes. See mockAppsFor.
   */
  apps?: readonly MockAppCredentials[];
  /** Lifetime of login codes; default 5 minutes, as at WeChat. */
  codeTtlMs?: number;
  /**
   * Base clock in ms, injectable so tests can expire codes and tokens without waiting. POST
   * /mock/clock adds an offset on top of it (for tests in another process).
   */
  now?: () => number;
}

export interface MockWechat {
  /** Base URL to give the WeChat client, e.g. "http://127.0.0.1:40123" (no trailing slash). */
  url: string;
  port: number;
  /** The first app's credentials (the only one's, unless `apps` named several). */
  appid: string;
  secret: string;
  /** Every app the mock serves, the first being the default of the /mock/* routes. */
  apps: readonly MockAppCredentials[];
  /** Stops the server, cutting open connections (hanging requests included). Idempotent. */
  close(): Promise<void>;
}

const CORS_HEADERS = {
  "access-control-allow-origin": "*",
  "access-control-allow-methods": "GET, POST, DELETE, OPTIONS",
  "access-control-allow-headers": "Content-Type",
  "access-control-max-age": "600",
};

export async function startMockWechat(options: StartMockWechatOptions = {}): Promise<MockWechat> {
  const host = options.host ?? "127.0.0.1";
  if (options.apps && (options.appid !== undefined || options.secret !== undefined)) {
    throw new Error("startMockWechat: pass `apps` or `appid`/`secret`, not both");
  }
  const apps = options.apps ?? [
    { appid: options.appid ?? MOCK_DEFAULT_APPID, secret: options.secret ?? MOCK_DEFAULT_SECRET },
  ];
  const codeTtlMs = options.codeTtlMs ?? MOCK_DEFAULT_CODE_TTL_MS;
  const clock = new MockClock(options.now ?? Date.now);
  const now = clock.now;
  if (apps.length === 0) throw new Error("startMockWechat: `apps` must name at least one app");
  if (apps.some((app) => !app.appid || !app.secret)) {
    throw new Error("startMockWechat: appid and secret must be non-empty");
  }
  if (new Set(apps.map((app) => app.appid)).size !== apps.length) {
    throw new Error("startMockWechat: each appid once");
  }
  if (!(codeTtlMs > 0)) throw new Error("startMockWechat: codeTtlMs must be positive");

  const wechatRoutes = new Map(WECHAT_ROUTES.map((route) => [route.path, route]));
  const context: MockContext = {
    config: { codeTtlMs, now },
    state: new MockState(apps, codeTtlMs, now),
    faults: new FaultQueue(),
    clock,
    wechatPaths: [...wechatRoutes.keys()],
  };

  const server = createServer((request, response) => {
    handleRequest(request, response, context, wechatRoutes).catch((error: unknown) => {
      sendError(response, error, isControlPath(request.url ?? "/"));
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });

  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost(host)}:${port}`,
    port,
    appid: apps[0]!.appid,
    secret: apps[0]!.secret,
    apps: apps.map((app) => ({ appid: app.appid, secret: app.secret })),
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // close() alone waits for every open request, and a "hang" fault never ends on its own.
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

async function handleRequest(
  request: IncomingMessage,
  response: ServerResponse,
  context: MockContext,
  wechatRoutes: ReadonlyMap<string, WechatRoute>,
): Promise<void> {
  const url = new URL(request.url ?? "/", "http://mock.invalid");
  if (isControlPath(url.pathname)) return handleControlRequest(request, response, url.pathname, context);

  const route = wechatRoutes.get(url.pathname);
  if (route === undefined) {
    sendJson(response, 404, {
      error: "not_found",
      message: `The mock serves no ${url.pathname}. WeChat routes: ${context.wechatPaths.join(", ")}; control routes: ${CONTROL_ROUTES.map((r) => r.path).join(", ")}`,
    });
    return;
  }
  return handleWechatRequest(request, response, url, route, context);
}

async function handleWechatRequest(
  request: IncomingMessage,
  response: ServerResponse,
  url: URL,
  route: WechatRoute,
  context: MockContext,
): Promise<void> {
  context.state.countCall(route.path);

  const fault = context.faults.take(route.path);
  if (fault?.type === "hang") return; // No answer at all; close() cuts the connection.
  if (fault?.type === "badGateway") return sendBadGatewayPage(response);
  if (fault?.type === "reset") return void request.socket.resetAndDestroy();
  if (fault?.type === "errcode") return sendWechatAnswer(response, wechatErrorAnswer(fault.errcode, fault.errmsg));

  if (request.method !== route.method) {
    return sendWechatAnswer(response, wechatErrorAnswer(route.method === "GET" ? 43001 : 43002));
  }

  let body: unknown;
  if (route.method === "POST") {
    try {
      body = await readJsonBody(request);
    } catch {
      // WeChat's answer to a body it cannot parse.
      return sendWechatAnswer(response, wechatErrorAnswer(47001));
    }
  }
  sendWechatAnswer(response, route.handle({ query: url.searchParams, body }, context));
}

async function handleControlRequest(
  request: IncomingMessage,
  response: ServerResponse,
  path: string,
  context: MockContext,
): Promise<void> {
  if (request.method === "OPTIONS") {
    // Preflight from the H5 build in a browser; answered for any /mock/* path so the real request
    // then gets a readable JSON error rather than an opaque CORS failure.
    response.writeHead(204, CORS_HEADERS);
    response.end();
    return;
  }

  const route = CONTROL_ROUTES.find((candidate) => candidate.path === path);
  if (route === undefined) {
    throw new MockRequestError(
      404,
      "not_found",
      `No mock control route ${path}; known: ${CONTROL_ROUTES.map((r) => r.path).join(", ")}`,
    );
  }
  const method = request.method as ControlMethod;
  const handler = route.handlers[method];
  if (handler === undefined) {
    const allowed = Object.keys(route.handlers).join(", ");
    throw new MockRequestError(405, "method_not_allowed", `${path} accepts ${allowed}, not ${request.method}`);
  }

  if (route.counted) context.state.countCall(route.path);
  const body = method === "POST" ? await readJsonBody(request) : undefined;
  const answer = handler(body, context);
  sendJson(response, answer.status, answer.body, CORS_HEADERS);
}

function sendError(response: ServerResponse, error: unknown, isControl: boolean): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  const headers = isControl ? CORS_HEADERS : {};
  if (error instanceof MockRequestError) {
    sendJson(response, error.status, { error: error.error, message: error.message }, headers);
  } else {
    const message = error instanceof Error ? error.message : String(error);
    sendJson(response, 500, { error: "internal", message: `Mock WeChat failed: ${message}` }, headers);
  }
}

function isControlPath(pathOrUrl: string): boolean {
  return pathOrUrl === "/mock" || pathOrUrl.startsWith("/mock/") || pathOrUrl.startsWith("/mock?");
}

/** The URL is for clients on this machine: wildcard addresses become loopback, IPv6 gets brackets. */
function urlHost(host: string): string {
  if (host === "0.0.0.0") return "127.0.0.1";
  if (host === "::") return "[::1]";
  return host.includes(":") ? `[${host}]` : host;
}
