/**
 * What the mock WeChat remembers: users (their current session_key and unionid), login codes,
 * access tokens, phone codes and call counts. In memory only; `reset()` forgets everything.
 *
 * Session keys rotate when a code is MINTED (unless the mint asks not to), as WeChat may rotate
 * them on every wx.login. A code redeems to the key that was current when it was minted, so
 * redeeming an older code returns a key that is no longer the user's valid one, like a real client
 * that raced two wx.login calls. `currentSessionKey` is the single valid key per user: checksession,
 * resetusersessionkey and the encrypted-data helper use it.
 */
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

export class MockState {
  private readonly users = new Map<string, MockUser>();
  // Insertion order is mint order, which lets pruning stop at the first live code.
  private readonly codes = new Map<string, LoginCode>();
  private readonly callCounts = new Map<string, number>();
  readonly accessTokens: MockAccessTokens;
  readonly phoneCodes: MockPhoneCodes;

  constructor(
    private readonly codeTtlMs: number,
    private readonly now: () => number,
  ) {
    this.accessTokens = new MockAccessTokens(now);
    this.phoneCodes = new MockPhoneCodes(codeTtlMs, now);
  }

  /**
   * Plays wx.login: returns a fresh code for the user's session_key, rotating the key first unless
   * `rotateSessionKey` is false (WeChat only MAY rotate it; a new user always gets a key). A unionid,
   * once given, stays attached to the openid until another one is given (or a reset).
   */
  mintLoginCode(request: {
    openid?: string | undefined;
    unionid?: string | undefined;
    rotateSessionKey?: boolean | undefined;
  }): {
    code: string;
    openid: string;
  } {
    this.pruneExpiredCodes();
    const openid = request.openid ?? randomOpenid();
    const previous = this.users.get(openid);
    const keepKey = request.rotateSessionKey === false && previous !== undefined;
    const user: MockUser = {
      sessionKey: keepKey ? previous.sessionKey : randomSessionKey(),
      unionid: request.unionid ?? previous?.unionid,
    };
    this.users.set(openid, user);
    const code = randomLoginCode();
    this.codes.set(code, { openid, sessionKey: user.sessionKey, mintedAt: this.now(), used: false });
    return { code, openid };
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
    this.users.clear();
    this.codes.clear();
    this.callCounts.clear();
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
