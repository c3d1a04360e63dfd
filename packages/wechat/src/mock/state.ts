/**
 * What the mock WeChat remembers, per mini-program (appid): users (their current session_key and
 * unionid), login codes, access tokens and phone codes; plus call counts for the whole mock. In
 * memory only; `reset()` forgets everything.
 *
 * Each app is on its own, as at WeChat: a login code, an access token or a phone code minted for one
 * appid means nothing to another (40029 / 40001), and an openid is per app. A "person" (the mock's
 * own notion, see mintLoginCode) gets a different openid in each app and one unionid across them,
 * as when every app of the mock is bound to one Open Platform account.
 *
 * Session keys rotate when a code is MINTED (unless the mint asks not to), as WeChat may rotate
 * them on every wx.login. A code redeems to the key that was current when it was minted, so
 * redeeming an older code returns a key that is no longer the user's valid one, like a real client
 * that raced two wx.login calls. `currentSessionKey` is the single valid key per user: checksession,
 * resetusersessionkey and the encrypted-data helper use it.
 */
import { createHash } from "node:crypto";
import { MockAccessTokens } from "./access-tokens.ts";
import { randomLoginCode, randomOpenid, randomSessionKey } from "./ids.ts";
import { MockPhoneCodes } from "./phone-codes.ts";

interface MockUser {
  sessionKey: string;
  unionid: string | undefined;
}

interface LoginCode {
  openid: string;
  sessionKey: string;
  mintedAt: number;
  used: boolean;
}

export type RedeemResult =
  | { status: "ok"; openid: string; sessionKey: string; unionid: string | undefined }
  | { status: "unknown_or_expired" }
  | { status: "used" };

/** One mini-program the mock serves: its credentials. */
export interface MockAppCredentials {
  appid: string;
  secret: string;
}

/** An id shaped like WeChat's openid / unionid ("o" + 27 base64url chars), the same for the same input. */
function derivedId(...parts: string[]): string {
  return `o${createHash("sha256").update(parts.join("\n")).digest("base64url").slice(0, 27)}`;
}

/** The openid a person has in one app: differs per appid, as at WeChat. */
export function personOpenid(appid: string, person: string): string {
  return derivedId("openid", appid, person);
}

/** The unionid a person has in every app of the mock (one Open Platform account). */
export function personUnionid(person: string): string {
  return derivedId("unionid", person);
}

/** Everything the mock holds for all its apps. */
export class MockState {
  private readonly apps: ReadonlyMap<string, MockAppState>;
  private readonly callCounts = new Map<string, number>();

  constructor(apps: readonly MockAppCredentials[], codeTtlMs: number, now: () => number) {
    this.apps = new Map(apps.map((app) => [app.appid, new MockAppState(app, codeTtlMs, now)]));
  }

  /** The app with this appid, undefined when the mock does not serve it. */
  app(appid: string): MockAppState | undefined {
    return this.apps.get(appid);
  }

  appids(): string[] {
    return [...this.apps.keys()];
  }

  /**
   * The app that issued this access token, with its check; "unknown" when no app did. An access
   * token is what tells WeChat which app a server API call is for.
   */
  checkAccessToken(accessToken: string): { app: MockAppState; check: AccessTokenCheckResult } | "unknown" {
    for (const app of this.apps.values()) {
      const check = app.accessTokens.check(accessToken);
      if (check !== "unknown") return { app, check };
    }
    return "unknown";
  }

  countCall(path: string): void {
    this.callCounts.set(path, (this.callCounts.get(path) ?? 0) + 1);
  }

  /** Counts for `paths` (0 when never called) plus any other path that was counted. */
  callCountsFor(paths: readonly string[]): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const path of paths) counts[path] = 0;
    for (const [path, count] of this.callCounts) counts[path] = count;
    return counts;
  }

  reset(): void {
    this.callCounts.clear();
    for (const app of this.apps.values()) app.reset();
  }
}

type AccessTokenCheckResult = ReturnType<MockAccessTokens["check"]>;

/** One app's users, codes and tokens. */
export class MockAppState {
  readonly appid: string;
  readonly secret: string;
  private readonly users = new Map<string, MockUser>();
  // Insertion order is mint order, which lets pruning stop at the first live code.
  private readonly codes = new Map<string, LoginCode>();
  readonly accessTokens: MockAccessTokens;
  readonly phoneCodes: MockPhoneCodes;

  constructor(
    credentials: MockAppCredentials,
    private readonly codeTtlMs: number,
    private readonly now: () => number,
  ) {
    this.appid = credentials.appid;
    this.secret = credentials.secret;
    this.accessTokens = new MockAccessTokens(now);
    this.phoneCodes = new MockPhoneCodes(codeTtlMs, now);
  }

  /**
   * Plays wx.login: returns a fresh code for the user's session_key, rotating the key first unless
   * `rotateSessionKey` is false (WeChat only MAY rotate it; a new user always gets a key). A unionid,
   * once given, stays attached to the openid until another one is given (or a reset). A `person`
   * stands for one human across the mock's apps: their openid in this app and their unionid are
   * derived from the name (see personOpenid, personUnionid).
   */
  mintLoginCode(request: {
    openid?: string | undefined;
    unionid?: string | undefined;
    person?: string | undefined;
    rotateSessionKey?: boolean | undefined;
  }): {
    code: string;
    openid: string;
    unionid?: string;
  } {
    this.pruneExpiredCodes();
    const person = request.person;
    const openid = request.openid ?? (person === undefined ? randomOpenid() : personOpenid(this.appid, person));
    const previous = this.users.get(openid);
    const keepKey = request.rotateSessionKey === false && previous !== undefined;
    const user: MockUser = {
      sessionKey: keepKey ? previous.sessionKey : randomSessionKey(),
      unionid: request.unionid ?? (person === undefined ? undefined : personUnionid(person)) ?? previous?.unionid,
    };
    this.users.set(openid, user);
    const code = randomLoginCode();
    this.codes.set(code, { openid, sessionKey: user.sessionKey, mintedAt: this.now(), used: false });
    return { code, openid, ...(user.unionid === undefined ? {} : { unionid: user.unionid }) };
  }

  /** Single use: the first redeem marks the code used, whatever happens next. */
  redeemLoginCode(code: string): RedeemResult {
    const entry = this.codes.get(code);
    if (entry === undefined || this.isExpired(entry)) return { status: "unknown_or_expired" };
    if (entry.used) return { status: "used" };
    entry.used = true;
    return {
      status: "ok",
      openid: entry.openid,
      sessionKey: entry.sessionKey,
      unionid: this.users.get(entry.openid)?.unionid,
    };
  }

  currentSessionKey(openid: string): string | undefined {
    return this.users.get(openid)?.sessionKey;
  }

  /** resetusersessionkey: a new key for a known user; the old one dies. undefined for an unknown user. */
  resetSessionKey(openid: string): string | undefined {
    const user = this.users.get(openid);
    if (user === undefined) return undefined;
    user.sessionKey = randomSessionKey();
    return user.sessionKey;
  }

  reset(): void {
    this.users.clear();
    this.codes.clear();
    this.accessTokens.reset();
    this.phoneCodes.reset();
  }

  private isExpired(entry: LoginCode): boolean {
    return this.now() - entry.mintedAt >= this.codeTtlMs;
  }

  /** Keeps a long-running dev mock from growing without bound. */
  private pruneExpiredCodes(): void {
    for (const [code, entry] of this.codes) {
      if (!this.isExpired(entry)) break;
      this.codes.delete(code);
    }
  }
}
