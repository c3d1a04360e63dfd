import { timingSafeEqual } from "node:crypto";
import { WechatError } from "@mp-auth/wechat";
import type { AppContext, Context } from "../context.ts";
import { ApiError } from "../errors.ts";
import { wechatRefusal } from "../wechat-refusals.ts";
import { refuseBannedLogin, banSelect } from "./account-status.ts";
import { findSessionByToken, newSessionData } from "./sessions.ts";
import { sha256Hex } from "./digest.ts";
import { consumeLoginPoint } from "./login-guards.ts";
import { noteLoginIdentity, recordLoginAttempt } from "./login-history.ts";
import { writeLogin } from "./login-write.ts";
import { publicUserSelect, toPublicUserJson, type PublicUserJson } from "./users.ts";
import { UnreadableSecretError } from "./secret-box.ts";
import { wechatCall } from "./wechat-apps.ts";

/** A wx.login code lives 5 minutes: its exchange is remembered as long. */
const CODE_LIFETIME_MS = 5 * 60_000;

/** Exchanges in progress in this process, by code hash: a concurrent duplicate waits for the first. */
interface InFlightExchange {
  caller: string;
  result: Promise<LoginResult>;
}
const exchangesInFlight = new WeakMap<object, Map<string, InFlightExchange>>();

/** What a remembered exchange holds, encrypted at rest. */
interface RememberedExchange {
  sessionId: string;
  token: string;
  /** The caller fingerprint of the first exchange; absent in entries written before it existed. */
  caller?: string;
}

/**
 * Who sent a code: a hash of the client's IP and user agent. A repeated code answers the first
 * exchange's session only to the same caller, so a code read from a log, a proxy or over a
 * shoulder within its 5 minutes is worth nothing. Both, because either alone is weak: many phones
 * share one carrier IP, and a user agent is trivially copied. A caller whose IP changed between the
 * two sends (a carrier NAT switching) gets WX_CODE_USED, and the link simply logs in with a new code.
 */
function callerFingerprint(ctx: Context): string {
  const { clientIp = "unknown", userAgent = "" } = ctx.request;
  return sha256Hex(`${clientIp}\n${userAgent}`);
}

function sameCaller(a: string, b: string | undefined): boolean {
  return b !== undefined && a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

export interface LoginResult {
  token: string;
  expiresAt: string;
  user: PublicUserJson;
}

/**
 * auth.login: rate limits, then the code exchange, idempotent for the code's life: the same code sent
 * again by the same client (double tap, retry after a timeout) returns the same session instead of
 * WeChat's 40163; from any other client it is WX_CODE_USED. Every attempt, answered or refused, is
 * recorded in the login history (services/login-history.ts).
 */
export function loginWithCode(ctx: AppContext, code: string): Promise<LoginResult> {
  return recordLoginAttempt(ctx, (attemptCtx) => loginWithCodeUnrecorded(attemptCtx, code));
}

async function loginWithCodeUnrecorded(ctx: AppContext, code: string): Promise<LoginResult> {
  const { deps } = ctx;
  await consumeLoginPoint(deps.loginRateLimiters.perIp, ctx.request.clientIp ?? "unknown", "from this address");

  const codeKey = sha256Hex(`wx-code:${ctx.app.appid}:${code}`);
  let inFlight = exchangesInFlight.get(deps);
  if (!inFlight) exchangesInFlight.set(deps, (inFlight = new Map<string, InFlightExchange>()));
  const caller = callerFingerprint(ctx);
  const running = inFlight.get(codeKey);
  if (running) {
    if (!sameCaller(caller, running.caller)) throw new ApiError("WX_CODE_USED");
    return running.result;
  }

  const exchange = (async () => {
    const remembered = await deps.codeExchangeCache.get(codeKey);
    if (remembered) return replayExchange(ctx, remembered, caller);
    const result = await exchangeCode(ctx, code);
    try {
      const rememberedExchange: RememberedExchange = { sessionId: result.sessionId, token: result.token, caller };
      const entry = deps.secretBox.encrypt(JSON.stringify(rememberedExchange));
      await deps.codeExchangeCache.set(codeKey, entry, CODE_LIFETIME_MS);
    } catch (error) {
      // The login itself succeeded: a lost cache entry only makes a later duplicate fail with 40163.
      deps.logger.warn({ err: error }, "could not remember the code exchange");
    }
    return { token: result.token, expiresAt: result.expiresAt, user: result.user };
  })();
  inFlight.set(codeKey, { caller, result: exchange });
  try {
    return await exchange;
  } finally {
    inFlight.delete(codeKey);
  }
}

/**
 * Answers a repeated code with the session its first exchange created, while that session lives,
 * and only to the caller of that first exchange.
 */
async function replayExchange(ctx: Context, remembered: string, caller: string): Promise<LoginResult> {
  let opened: string;
  try {
    opened = ctx.deps.secretBox.decrypt(remembered);
  } catch (error) {
    // Written under a key this instance does not hold (a rotation mid-deploy): the code is used, and
    // the client asks wx.login for a fresh one, as for any used code.
    if (error instanceof UnreadableSecretError) throw new ApiError("WX_CODE_USED");
    throw error;
  }
  const { sessionId, token, caller: firstCaller } = JSON.parse(opened) as RememberedExchange;
  // Someone else holding a used code: to them it is used, whatever session it made.
  if (!sameCaller(caller, firstCaller)) throw new ApiError("WX_CODE_USED");
  // By the token it remembered: the session lookup's one raw statement instead of a Prisma query.
  const session = await findSessionByToken(ctx.deps.db, token);
  if (!session || session.id !== sessionId || session.revokedAt || session.expiresAt <= ctx.now()) {
    // Exchanged here before, but its session has ended: to the caller, a used code.
    throw new ApiError("WX_CODE_USED");
  }
  return { token, expiresAt: session.expiresAt.toISOString(), user: toPublicUserJson(session.user) };
}

/**
 * The exchange proper. The user upsert and the session insert commit together or not at all
 * (writeLogin, which also retries a lost unique race).
 */
async function exchangeCode(ctx: AppContext, code: string) {
  const { deps, app } = ctx;
  let identity;
  try {
    identity = await wechatCall(ctx, (wechat) => wechat.code2Session(code));
  } catch (error) {
    if (error instanceof WechatError) {
      deps.logger.warn({ wechatErrorKind: error.kind, errcode: error.errcode }, "code2Session refused");
      throw wechatRefusal("login", error);
    }
    throw error;
  }

  noteLoginIdentity(ctx, identity.openid);
  // Keyed by app too: an openid means a user of one app only.
  await consumeLoginPoint(deps.loginRateLimiters.perOpenid, `${app.appid}:${identity.openid}`, "for this WeChat user");

  const sessionKeyCiphertext = deps.secretBox.encrypt(identity.sessionKey);
  const now = ctx.now();
  const { token, data: session } = newSessionData(ctx);
  const { user, sessionId } = await writeLogin(deps.db, {
    identity: { appid: app.appid, openid: identity.openid, unionid: identity.unionid, sessionKeyCiphertext, now },
    session,
    // The ban columns too: a banned user is refused inside the transaction, before any session row.
    userSelect: { ...publicUserSelect, ...banSelect },
    admit: (user) => refuseBannedLogin(user, now),
  });
  deps.logger.info({ userId: user.id }, "user logged in");
  // lastLoginAt changed: cached sessions of this user must show it.
  await deps.sessionCache.invalidateUser(user.id);
  return { token, sessionId, expiresAt: session.expiresAt.toISOString(), user: toPublicUserJson(user) };
}
