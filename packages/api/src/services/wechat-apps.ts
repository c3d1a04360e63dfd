import { appidFromWechatReferer } from "@mp-auth/contract";
import type { AppContext, ApiDependencies, RequestInfo, WechatApp } from "../context.ts";
import { ApiError } from "../errors.ts";

/**
 * Which of the server's mini-programs a request is for. Two witnesses name it: the X-WX-Appid
 * header (the Taro link sends the build's TARO_APP_ID) and the Referer WeChat itself puts on every
 * request of a mini-program (`https://servicewechat.com/<appid>/<version>/page-frame.html`; any
 * other Referer says nothing). Either is enough; when both speak they must agree, or the build was
 * made for another app than the one running it (APPID_MISMATCH). When neither speaks, a server of
 * one app serves that app (today's clients, curl), and a server of several cannot guess
 * (APPID_REQUIRED). An appid the server does not serve is UNKNOWN_APPID.
 *
 * Neither witness is a credential (anyone can send either): the app decides which secret exchanges
 * a login code, and a code WeChat issued for another app fails that exchange; a session token is
 * then only accepted for the app it was issued to (trpc.ts).
 */
export function resolveApp(deps: Pick<ApiDependencies, "apps">, request: RequestInfo): WechatApp {
  const named = request.appid || undefined;
  const fromReferer = appidFromWechatReferer(request.referer);
  if (named !== undefined && fromReferer !== undefined && named !== fromReferer) throw new ApiError("APPID_MISMATCH");
  const appid = named ?? fromReferer;
  if (appid === undefined) {
    if (deps.apps.size === 1) return deps.apps.values().next().value!;
    throw new ApiError("APPID_REQUIRED");
  }
  const app = deps.apps.get(appid);
  if (!app) throw new ApiError("UNKNOWN_APPID");
  return app;
}

/**
 * One call to the caller's WeChat app (`ctx.app.wechat`), its duration told to the request
 * (RequestInfo.noteWechatCall) whether it answered or failed: the log line then shows how much of a
 * slow answer was WeChat's.
 */
export async function wechatCall<T>(ctx: AppContext, call: (wechat: WechatApp["wechat"]) => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await call(ctx.app.wechat);
  } finally {
    ctx.request.noteWechatCall?.(performance.now() - started);
  }
}
