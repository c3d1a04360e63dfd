/**
 * Codes of the getPhoneNumber button, minted by POST /mock/phone and redeemed by
 * /wxa/business/getuserphonenumber: single use, valid for the code TTL (5 minutes).
 * A phone number given with an openid is remembered, so later codes for that user default to it.
 *
 * A code minted for an openid belongs to that user: redeemed with another `openid` it is refused,
 * as WeChat refuses a code obtained by another user when the server passes the caller's openid to
 * getuserphonenumber. INFERRED (WeChat documents the optional `openid` parameter but no errcode for
 * a mismatch): the answer is 40029, WeChat's answer for a code not valid for the request (its staff
 * say so for a code of another appid), and the refused attempt does not use the code up, so its
 * owner can still redeem it. A code minted without an openid is accepted for any caller.
 */
import { randomMainlandPhoneNumber, randomPhoneCode } from "./ids.ts";

export interface PhoneInfo {
  phoneNumber: string;
  purePhoneNumber: string;
  countryCode: string;
}

interface PhoneCodeEntry extends PhoneInfo {
  /** The user the code was minted for; undefined: anyone's. */
  openid: string | undefined;
  mintedAt: number;
  used: boolean;
}

const MAINLAND_CHINA_COUNTRY_CODE = "86";

export class MockPhoneCodes {
  // Insertion order is mint order, which lets pruning stop at the first live code.
  private readonly codes = new Map<string, PhoneCodeEntry>();
  private readonly numbersByOpenid = new Map<string, { purePhoneNumber: string; countryCode: string }>();

  constructor(
    private readonly codeTtlMs: number,
    private readonly now: () => number,
  ) {}

  mint(request: {
    phoneNumber?: string | undefined;
    countryCode?: string | undefined;
    openid?: string | undefined;
  }): PhoneInfo & { code: string } {
    this.pruneExpired();
    const remembered = request.openid === undefined ? undefined : this.numbersByOpenid.get(request.openid);
    const purePhoneNumber = request.phoneNumber ?? remembered?.purePhoneNumber ?? randomMainlandPhoneNumber();
    const countryCode =
      request.countryCode ??
      (request.phoneNumber === undefined ? remembered?.countryCode : undefined) ??
      MAINLAND_CHINA_COUNTRY_CODE;
    if (request.openid !== undefined) this.numbersByOpenid.set(request.openid, { purePhoneNumber, countryCode });

    // WeChat documents phoneNumber as carrying the country prefix for numbers outside mainland
    // China; the exact format of that prefix is our guess.
    const phoneNumber =
      countryCode === MAINLAND_CHINA_COUNTRY_CODE ? purePhoneNumber : `+${countryCode}${purePhoneNumber}`;
    const code = randomPhoneCode();
    this.codes.set(code, {
      phoneNumber,
      purePhoneNumber,
      countryCode,
      openid: request.openid,
      mintedAt: this.now(),
      used: false,
    });
    return { code, phoneNumber, purePhoneNumber, countryCode };
  }

  /**
   * undefined when the code is unknown, expired, used, or minted for another user than `openid` (all
   * 40029); the first successful redeem uses it up.
   */
  redeem(code: string, openid: string | undefined): PhoneInfo | undefined {
    const entry = this.codes.get(code);
    if (entry === undefined || entry.used || this.isExpired(entry)) return undefined;
    if (openid !== undefined && entry.openid !== undefined && entry.openid !== openid) return undefined;
    entry.used = true;
    return { phoneNumber: entry.phoneNumber, purePhoneNumber: entry.purePhoneNumber, countryCode: entry.countryCode };
  }

  reset(): void {
    this.codes.clear();
    this.numbersByOpenid.clear();
  }

  private isExpired(entry: PhoneCodeEntry): boolean {
    return this.now() - entry.mintedAt >= this.codeTtlMs;
  }

  private pruneExpired(): void {
    for (const [code, entry] of this.codes) {
      if (!this.isExpired(entry)) break;
      this.codes.delete(code);
    }
  }
}
