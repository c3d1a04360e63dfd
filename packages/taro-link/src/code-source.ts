import { describeCallbackError, ignoreReturnedRejection, type TaroLike } from "./taro-like.ts";

/** Gives a fresh one-time login code for `auth.login`. */
export type CodeSource = () => Promise<string>;

/**
 * The default code source: `Taro.login()`. WeChat limits it to a few calls per second per user,
 * which is why this package calls it only to log in, never per request.
 *
 * On H5, Taro.login gives no code (or rejects): such builds must pass their own code source
 * explicitly (e.g. one that mints codes at the mock WeChat in development).
 */
export function taroLoginCodeSource(taro: Pick<TaroLike, "login">): CodeSource {
  return () =>
    new Promise<string>((resolve, reject) => {
      const returned = taro.login({
        success: (result) => {
          if (typeof result?.code === "string" && result.code !== "") resolve(result.code);
          else reject(new Error("Taro.login gave no code: pass a codeSource"));
        },
        fail: (error) => reject(new Error(`Taro.login failed: ${describeCallbackError(error)}`)),
      });
      ignoreReturnedRejection(returned);
    });
}
