import Taro from "@tarojs/taro";
import { useSyncExternalStore } from "react";
import { api, apiSession, apiStartupProblem, type CurrentUser } from "../services/api";
import { createSessionStore, type SessionState } from "./session-store";

/** Remembers an explicit logout, so a restart shows the signed-out page instead of signing in. */
const SIGNED_OUT_STORAGE_KEY = "mp-auth.signed-out-by-user";

export const sessionStore = createSessionStore<CurrentUser>({
  startupProblem: apiStartupProblem,
  ensureSession: () => apiSession.ensureSession(),
  login: () => apiSession.login(),
  hasStoredSession: () => apiSession.getToken() !== null,
  logout: async () => {
    // taro-link forgets the token even when the server cannot be told; only log why.
    const result = await apiSession.logout();
    if (!result.revokedOnServer && result.error)
      console.error("[mp-auth] logout not confirmed by the server", result.error);
  },
  forgetSession: () => apiSession.clear(),
  fetchCurrentUser: () => api.user.me.query(),
  signedOutByUser: {
    get: () => Taro.getStorageSync(SIGNED_OUT_STORAGE_KEY) === "1",
    set: (value) => {
      if (value) Taro.setStorageSync(SIGNED_OUT_STORAGE_KEY, "1");
      else Taro.removeStorageSync(SIGNED_OUT_STORAGE_KEY);
    },
  },
  reportError: (error) => console.error("[mp-auth]", error),
});

export function useSessionState(): SessionState<CurrentUser> {
  return useSyncExternalStore(sessionStore.subscribe, sessionStore.getState, sessionStore.getState);
}
