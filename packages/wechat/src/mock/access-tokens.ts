/**
 * The mock's access tokens: one registry for tokens from stable_token and from the legacy
 * /cgi-bin/token, consulted by every route that takes `access_token`.
 *
 * - stable_token (normal mode) returns the current stable token with its remaining lifetime; once
 *   it has 5 minutes or less left, a new token is issued and the old one lives out its lifetime.
 * - stable_token with force_refresh revokes the current stable token at once and issues a new one;
 *   at most 20 a day (China time, else 45009). One sooner than 30 s after the previous force_refresh
 *   does not refresh: WeChat documents that it "will not refresh", so it is answered like normal
 *   mode rather than with an errcode.
 * - legacy /cgi-bin/token issues a new token on every call and the previous legacy token dies 5
 *   minutes later. The two kinds are isolated, as at WeChat: legacy calls never touch stable tokens.
 */
import {
  MOCK_ACCESS_TOKEN_OVERLAP_MS,
  MOCK_ACCESS_TOKEN_TTL_MS,
  MOCK_FORCE_REFRESH_DAILY_LIMIT,
  MOCK_FORCE_REFRESH_MIN_INTERVAL_MS,
} from "./defaults.ts";
import { randomAccessToken } from "./ids.ts";

interface IssuedToken {
  expiresAt: number;
  /** Set when a newer token replaced this one: from then on WeChat says "not latest" (40001). */
  revokedAt: number | undefined;
}

export interface GrantedToken {
  accessToken: string;
  expiresInSeconds: number;
}

/** What the routes turn into WeChat's errcodes: 41001, 40014, 40001, 40001, 42001. */
export type AccessTokenCheck = "ok" | "missing" | "malformed" | "unknown" | "revoked" | "expired";

const ACCESS_TOKEN_PATTERN = /^[A-Za-z0-9_-]{1,512}$/;
const CHINA_UTC_OFFSET_MS = 8 * 3_600_000;
const DAY_MS = 86_400_000;
/** Long-gone tokens are forgotten (then answered 40001 instead of 42001) so a dev mock does not grow forever. */
const FORGET_AFTER_EXPIRY_MS = DAY_MS;

export class MockAccessTokens {
  private readonly issued = new Map<string, IssuedToken>();
  private currentStable: string | undefined;
  private currentLegacy: string | undefined;
  private forceRefreshDay: number | undefined;
  private forceRefreshesThatDay = 0;
  private lastForceRefreshAt: number | undefined;

  constructor(private readonly now: () => number) {}

  /** POST /cgi-bin/stable_token; "daily_limit" becomes 45009. */
  stableToken(forceRefresh: boolean): GrantedToken | "daily_limit" {
    const at = this.now();
    const current = this.liveStable(at);
    const tooSoon =
      this.lastForceRefreshAt !== undefined && at - this.lastForceRefreshAt < MOCK_FORCE_REFRESH_MIN_INTERVAL_MS;

    if (forceRefresh && !tooSoon) {
      const day = Math.floor((at + CHINA_UTC_OFFSET_MS) / DAY_MS);
      if (day !== this.forceRefreshDay) {
        this.forceRefreshDay = day;
        this.forceRefreshesThatDay = 0;
      }
      if (this.forceRefreshesThatDay >= MOCK_FORCE_REFRESH_DAILY_LIMIT) return "daily_limit";
      this.forceRefreshesThatDay += 1;
      this.lastForceRefreshAt = at;
      if (current !== undefined) current.entry.revokedAt = at;
      return this.issueStable(at);
    }

    if (current === undefined || current.entry.expiresAt - at <= MOCK_ACCESS_TOKEN_OVERLAP_MS)
      return this.issueStable(at);
    return { accessToken: current.token, expiresInSeconds: remainingSeconds(current.entry, at) };
  }

  /** GET /cgi-bin/token: always a new token; the previous legacy one dies 5 minutes from now. */
  legacyToken(): GrantedToken {
    const at = this.now();
    const previous = this.currentLegacy === undefined ? undefined : this.issued.get(this.currentLegacy);
    if (previous !== undefined) {
      previous.revokedAt = Math.min(previous.revokedAt ?? Number.POSITIVE_INFINITY, at + MOCK_ACCESS_TOKEN_OVERLAP_MS);
    }
    const granted = this.issue(at);
    this.currentLegacy = granted.accessToken;
    return granted;
  }

  check(accessToken: string | null): AccessTokenCheck {
    if (accessToken === null || accessToken === "") return "missing";
    if (!ACCESS_TOKEN_PATTERN.test(accessToken)) return "malformed";
    const entry = this.issued.get(accessToken);
    if (entry === undefined) return "unknown";
    const at = this.now();
    if (entry.revokedAt !== undefined && at >= entry.revokedAt) return "revoked";
    if (at >= entry.expiresAt) return "expired";
    return "ok";
  }

  reset(): void {
    this.issued.clear();
    this.currentStable = undefined;
    this.currentLegacy = undefined;
    this.forceRefreshDay = undefined;
    this.forceRefreshesThatDay = 0;
    this.lastForceRefreshAt = undefined;
  }

  private liveStable(at: number): { token: string; entry: IssuedToken } | undefined {
    if (this.currentStable === undefined) return undefined;
    const entry = this.issued.get(this.currentStable);
    if (entry === undefined || at >= entry.expiresAt || (entry.revokedAt !== undefined && at >= entry.revokedAt))
      return undefined;
    return { token: this.currentStable, entry };
  }

  private issueStable(at: number): GrantedToken {
    const granted = this.issue(at);
    this.currentStable = granted.accessToken;
    return granted;
  }

  private issue(at: number): GrantedToken {
    this.forgetLongExpired(at);
    const accessToken = randomAccessToken();
    const entry: IssuedToken = { expiresAt: at + MOCK_ACCESS_TOKEN_TTL_MS, revokedAt: undefined };
    this.issued.set(accessToken, entry);
    return { accessToken, expiresInSeconds: remainingSeconds(entry, at) };
  }

  private forgetLongExpired(at: number): void {
    for (const [token, entry] of this.issued) {
      if (at - entry.expiresAt > FORGET_AFTER_EXPIRY_MS) this.issued.delete(token);
    }
  }
}

/** Whole seconds, rounded down, as WeChat's countdown. */
function remainingSeconds(entry: IssuedToken, at: number): number {
  return Math.floor((entry.expiresAt - at) / 1000);
}
