/**
 * WeChat's privacy consent (隐私协议, base library 2.32.3+), as a plain subscribable state machine
 * (no React, no Taro import) so every transition is unit-tested with a fake API.
 *
 * Since 2023 WeChat holds back chooseAvatar, the nickname input and getPhoneNumber until the user
 * has agreed to the mini-program's privacy guide. With a listener registered through
 * `onNeedPrivacyAuthorization`, WeChat leaves the triggering API pending and hands the listener a
 * `resolve`; the app shows its own popup and answers:
 * - `resolve({ event: "agree", buttonId })` after the popup's `<button open-type="agreePrivacyAuthorization">`
 *   fired its event (WeChat checks that this very button was tapped); the pending API continues;
 * - `resolve({ event: "disagree" })`: the pending API fails with
 *   "privacy permission is not authorized"; WeChat asks again at the next tap.
 * - `resolve({ event: "exposureAuthorization" })` (optional) tells WeChat the popup was seen.
 */

export type PrivacyResolveEvent = "exposureAuthorization" | "agree" | "disagree";
export type PrivacyResolve = (option: { event: PrivacyResolveEvent; buttonId?: string }) => void;
/** eventInfo.referrer names the trigger, e.g. "button.getPhoneNumber". */
export type PrivacyListener = (resolve: PrivacyResolve, eventInfo?: { referrer?: unknown }) => void;

/**
 * The part of Taro (or wx) used here. Every member may be missing: base libraries before 2.32.3
 * have none of them, and H5 has no privacy consent at all; the module then does nothing.
 */
export interface PrivacyApi {
  onNeedPrivacyAuthorization?: (listener: PrivacyListener) => void;
  getPrivacySetting?: (options: {
    success?: (result: { needAuthorization?: unknown; privacyContractName?: unknown }) => void;
    fail?: (error: unknown) => void;
  }) => unknown;
  openPrivacyContract?: (options: { fail?: (error: unknown) => void }) => unknown;
}

export type PrivacyConsentState =
  | { status: "idle" }
  /** WeChat is waiting for an answer; `referrers` lists what is pending, oldest first. */
  | { status: "asking"; contractName: string; referrers: readonly string[] };

export interface PrivacyConsent {
  /** Registers the listener with WeChat (once); false where the API is missing. */
  start: () => boolean;
  getState: () => PrivacyConsentState;
  /** The popup's subscription; while nothing is subscribed, WeChat's requests are refused at once. */
  subscribe: (listener: () => void) => () => void;
  /** The popup is on screen: reported to WeChat once per pending request. */
  exposed: () => void;
  /** Call from the agree button's agreePrivacyAuthorization event, with that button's id. */
  agree: (buttonId: string) => void;
  disagree: () => void;
  /** Opens the privacy guide as configured in the mini-program's admin console. */
  openContract: () => void;
}

/** Shown until getPrivacySetting names the guide configured in the admin console. */
export const DEFAULT_PRIVACY_CONTRACT_NAME = "《用户隐私保护指引》";

interface Pending {
  resolve: PrivacyResolve;
  referrer: string;
  exposed: boolean;
}

export function createPrivacyConsent(
  api: PrivacyApi,
  report: (message: string, detail?: unknown) => void = (message, detail) =>
    console.warn("[mp-auth]", message, detail ?? ""),
): PrivacyConsent {
  let state: PrivacyConsentState = { status: "idle" };
  let started = false;
  let contractName = DEFAULT_PRIVACY_CONTRACT_NAME;
  // Several triggers (avatar, then phone, before the user answers) queue up; one answer settles all.
  let pending: Pending[] = [];
  const listeners = new Set<() => void>();

  function setState(next: PrivacyConsentState): void {
    state = next;
    for (const listener of [...listeners]) listener();
  }

  function askingState(): PrivacyConsentState {
    return { status: "asking", contractName, referrers: pending.map((entry) => entry.referrer) };
  }

  /** A throwing resolve (an old base library) must not stop the others or break the page. */
  function call(resolve: PrivacyResolve, option: Parameters<PrivacyResolve>[0]): void {
    try {
      resolve(option);
    } catch (error) {
      report(`privacy resolve(${option.event}) failed`, error);
    }
  }

  function answer(option: Parameters<PrivacyResolve>[0]): void {
    const answered = pending;
    pending = [];
    if (state.status !== "idle") setState({ status: "idle" });
    for (const entry of answered) call(entry.resolve, option);
  }

  function refreshContractName(): void {
    if (!api.getPrivacySetting) return;
    try {
      api.getPrivacySetting({
        success: (result) => {
          if (typeof result.privacyContractName !== "string" || result.privacyContractName.trim() === "") return;
          contractName = result.privacyContractName;
          if (state.status === "asking") setState(askingState());
        },
        fail: (error) => report("getPrivacySetting failed", error),
      });
    } catch (error) {
      report("getPrivacySetting failed", error);
    }
  }

  const onNeedAuthorization: PrivacyListener = (resolve, eventInfo) => {
    const referrer = typeof eventInfo?.referrer === "string" ? eventInfo.referrer : "";
    if (listeners.size === 0) {
      // No popup on this page: refusing fails the one API call; waiting would hang it for good.
      report(`privacy consent needed by ${referrer || "an API"} on a page without the privacy popup`);
      call(resolve, { event: "disagree" });
      return;
    }
    const first = pending.length === 0;
    pending.push({ resolve, referrer, exposed: false });
    setState(askingState());
    if (first) refreshContractName();
  };

  return {
    start() {
      if (started) return true;
      if (typeof api.onNeedPrivacyAuthorization !== "function") return false;
      api.onNeedPrivacyAuthorization(onNeedAuthorization);
      started = true;
      return true;
    },
    getState: () => state,
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
        // The popup left (its page was closed) while WeChat waited: answer rather than hang.
        if (listeners.size === 0 && pending.length > 0) answer({ event: "disagree" });
      };
    },
    exposed() {
      for (const entry of pending) {
        if (entry.exposed) continue;
        entry.exposed = true;
        call(entry.resolve, { event: "exposureAuthorization" });
      }
    },
    agree(buttonId) {
      if (pending.length > 0) answer({ event: "agree", buttonId });
    },
    disagree() {
      if (pending.length > 0) answer({ event: "disagree" });
    },
    openContract() {
      if (!api.openPrivacyContract) return;
      try {
        api.openPrivacyContract({ fail: (error) => report("openPrivacyContract failed", error) });
      } catch (error) {
        report("openPrivacyContract failed", error);
      }
    },
  };
}
