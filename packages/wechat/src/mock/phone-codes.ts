/**
 * Codes of the getPhoneNumber button, minted by POST /mock/phone and redeemed by
 * /wxa/business/getuserphonenumber: single use, valid for the code TTL (5 minutes).
 * A phone number given with an openid is remembered, so later codes for that user default to it.
 */
import { randomMainlandPhoneNumber, randomPhoneCode } from "./ids.ts";

export interface PhoneInfo {
  phoneNumber: string;
  purePhoneNumber: string;
  countryCode: string;
}

interface PhoneCodeEntry extends PhoneInfo {
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
    this.codes.set(code, { phoneNumber, purePhoneNumber, countryCode, mintedAt: this.now(), used: false });
    return { code, phoneNumber, purePhoneNumber, countryCode };
  }

  /** undefined when the code is unknown, expired or used (all 40029); the first redeem uses it up. */
  redeem(code: string): PhoneInfo | undefined {
    const entry = this.codes.get(code);
    if (entry === undefined || entry.used || this.isExpired(entry)) return undefined;
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
