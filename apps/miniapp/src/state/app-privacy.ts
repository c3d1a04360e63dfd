import Taro from "@tarojs/taro";
import { useSyncExternalStore } from "react";
import { createPrivacyConsent, type PrivacyConsentState } from "../services/privacy-consent";

/**
 * The app's one privacy-consent machine. Only the weapp gets Taro's privacy API: H5 has no privacy
 * consent, and its Taro only logs "not supported" for these calls.
 */
export const privacyConsent = createPrivacyConsent(process.env.TARO_ENV === "weapp" ? Taro : {});

export function usePrivacyConsentState(): PrivacyConsentState {
  return useSyncExternalStore(privacyConsent.subscribe, privacyConsent.getState, privacyConsent.getState);
}
