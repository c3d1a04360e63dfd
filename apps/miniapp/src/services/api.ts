import Taro from "@tarojs/taro";
import type { AppRouter, RouterInputs, RouterOutputs } from "@mp-auth/api";
import { APPID_HEADER } from "@mp-auth/contract";
import { createMiniappClient, type TaroLike } from "@mp-auth/taro-link";
import { createAppCodeSource } from "../auth/login-code-source";
import { MissingCodeSourceError, type CodeSourceChoice } from "../auth/code-source";

/** The API client of the whole app. `AppRouter` is imported as a type only: no server code ships. */

export type CurrentUser = RouterOutputs["user"]["me"];
export type DeviceSession = RouterOutputs["auth"]["sessions"][number];
export type NotesPage = RouterOutputs["notes"]["list"];
export type Note = NotesPage["items"][number];
export type NoteInputs = RouterInputs["notes"];

function pickCodeSource(): CodeSourceChoice | MissingCodeSourceError {
  try {
    return createAppCodeSource();
  } catch (error) {
    if (!(error instanceof MissingCodeSourceError)) throw error;
    // Loud on purpose: an H5 build without a code source can never log in.
    console.error(error);
    return error;
  }
}

const codeSourceChoice = pickCodeSource();

/** Why this build cannot log in at all, if it cannot. */
export const apiStartupProblem: Error | undefined =
  codeSourceChoice instanceof MissingCodeSourceError ? codeSourceChoice : undefined;

/**
 * The Taro APIs taro-link uses, each read as `Taro.x` on purpose: on H5,
 * babel-plugin-transform-taroapi turns every `Taro.x` it sees into a named import, and the default
 * `Taro` object lacks the others, so handing over `Taro` itself leaves `request` undefined there.
 */
const taroApis: TaroLike = {
  request: (options) => Taro.request(options),
  login: (options) => Taro.login(options),
  getStorageSync: (key) => Taro.getStorageSync<unknown>(key),
  setStorageSync: (key, data) => Taro.setStorageSync(key, data),
  removeStorageSync: (key) => Taro.removeStorageSync(key),
};
// wx.checkSession tells whether the session_key of the last wx.login code is still valid: it only
// means something when codes come from wx.login. (On H5 Taro answers it with a stub.)
if (!(codeSourceChoice instanceof Error) && codeSourceChoice.kind === "wechat") {
  taroApis.checkSession = (options) => Taro.checkSession(options);
}

/**
 * `authenticated` runs requests outside the tRPC client (the avatar upload's Taro.uploadFile)
 * under the same session rules as `api`'s calls.
 */
export const {
  client: api,
  session: apiSession,
  authenticated,
} = createMiniappClient<AppRouter>({
  url: process.env.TARO_APP_API_URL,
  taro: taroApis,
  // Which mini-program this build is (TARO_APP_ID), for a server serving several; none when unset.
  ...(process.env.TARO_APP_ID ? { headers: { [APPID_HEADER]: process.env.TARO_APP_ID } } : {}),
  codeSource: codeSourceChoice instanceof Error ? () => Promise.reject(codeSourceChoice) : codeSourceChoice.source,
});
