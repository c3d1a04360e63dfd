/**
 * The phone-number side of the profile page, pure so every branch is unit-tested: masking a bound
 * number for display, and reading what `<Button openType="getPhoneNumber">` reported.
 */

/**
 * WeChat's "手机号快速验证" is paid per success; when the mini-program's quota is used up the
 * button reports this errno and gives no code, so there is nothing to send to the server.
 */
export const PHONE_QUOTA_EXHAUSTED_ERRNO = 1400001;

/**
 * "13800138000" -> "138****8000"; "+85291234567" -> "+852****4567". Enough stays visible for the
 * user to recognise the number, not enough to read it off a shared screen. The same rule applies
 * with or without a "+" prefix: telling the country code apart would need a table, and a mask
 * does not need to know where it ends.
 */
export function maskPhoneNumber(phoneNumber: string): string {
  const compact = phoneNumber.replace(/[\s-]/g, "");
  const plus = compact.startsWith("+") ? "+" : "";
  const digits = compact.slice(plus.length);
  // Short numbers would show almost every digit around a 4-star mask: hide them entirely.
  if (digits.length <= 4) return `${plus}****`;
  const tail = digits.slice(-4);
  if (digits.length >= 10) return `${plus}${digits.slice(0, 3)}****${tail}`;
  return `${plus}****${tail}`;
}

/** What the getPhoneNumber button's `event.detail` may carry (errno is absent on success). */
export interface PhoneButtonDetail {
  errMsg?: unknown;
  errno?: unknown;
  code?: unknown;
  encryptedData?: unknown;
  iv?: unknown;
}

export type PhoneButtonOutcome =
  /** Current flow: exchange `code` on the server (user.bindPhone({ code })). */
  | { kind: "code"; code: string }
  /** Legacy flow (no code on this client): user.bindPhone({ encryptedData, iv }). */
  | { kind: "encrypted-data"; encryptedData: string; iv: string }
  /** The user closed or declined the WeChat sheet: nothing to report as an error. */
  | { kind: "refused" }
  /** The user refused the privacy consent popup (privacy-consent.ts): WeChat asks again next tap. */
  | { kind: "privacy-refused" }
  /** The paid quota of the mini-program is used up (errno 1400001): no server call. */
  | { kind: "quota-exhausted" }
  /** Any other failure WeChat reported (no permission, privacy settings...), or an "ok" without data. */
  | { kind: "failed"; errMsg: string; errno: number | undefined };

/**
 * Classifies the button's detail. The errno is checked first: WeChat may pair it with any errMsg.
 * A code is preferred over encrypted data when both are present (the code flow needs no
 * session_key, so it cannot fail with SESSION_KEY_STALE).
 */
export function classifyPhoneButtonDetail(detail: PhoneButtonDetail | null | undefined): PhoneButtonOutcome {
  const errMsg = typeof detail?.errMsg === "string" ? detail.errMsg : "";
  const errno = toErrno(detail?.errno);
  if (errno === PHONE_QUOTA_EXHAUSTED_ERRNO) return { kind: "quota-exhausted" };
  if (!/:ok$/.test(errMsg)) {
    // After resolve({ event: "disagree" }) WeChat documents "API:fail privacy permission is not
    // authorized"; the exact prefix for this button ("getPhoneNumber:fail ...") is inferred.
    if (/privacy permission is not authorized/i.test(errMsg)) return { kind: "privacy-refused" };
    // "getPhoneNumber:fail user deny", "...:fail:user deny", "...:fail cancel" (wording varies by version).
    if (/deny|cancel/i.test(errMsg)) return { kind: "refused" };
    return { kind: "failed", errMsg, errno };
  }
  if (isNonEmptyString(detail?.code)) return { kind: "code", code: detail.code };
  if (isNonEmptyString(detail?.encryptedData) && isNonEmptyString(detail?.iv)) {
    return { kind: "encrypted-data", encryptedData: detail.encryptedData, iv: detail.iv };
  }
  return { kind: "failed", errMsg, errno };
}

function toErrno(value: unknown): number | undefined {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value === "string" && /^\d+$/.test(value)) return Number(value);
  return undefined;
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === "string" && value.length > 0;
}
