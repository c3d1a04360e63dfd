import type { TaroLike, TaroRequestOptions } from "@mp-auth/taro-link";
import type { UploadFile } from "../../src/services/avatar-upload";

/**
 * The Taro APIs the mini-program's client uses, over Node's fetch, keeping wx's contracts:
 * `request` calls `success` for every HTTP status with the body as text and `fail` with an errMsg;
 * `uploadFile` resolves for every status with the body as a string and rejects with `{ errMsg }`.
 * Storage is a Map. There is no WeChat here: tests pass a codeSource minting codes at the mock.
 */
export class FetchTaro implements TaroLike {
  readonly storage = new Map<string, unknown>();
  /** "temporary files" as chooseAvatar would give them: path -> bytes. */
  readonly files = new Map<string, Uint8Array<ArrayBuffer>>();

  request(options: TaroRequestOptions): void {
    fetch(options.url, {
      method: options.method,
      headers: options.header,
      ...(options.data === undefined ? {} : { body: options.data }),
      signal: AbortSignal.timeout(options.timeout),
    }).then(
      async (response) => options.success({ statusCode: response.status, data: await response.text() }),
      (error: unknown) => options.fail({ errMsg: `request:fail ${String(error)}` }),
    );
  }

  login(options: { fail: (error: { errMsg: string }) => void }): void {
    setTimeout(() => options.fail({ errMsg: "login:fail no WeChat in Node: pass a codeSource" }), 0);
  }

  getStorageSync(key: string): unknown {
    return this.storage.has(key) ? this.storage.get(key) : "";
  }

  setStorageSync(key: string, data: unknown): void {
    this.storage.set(key, structuredClone(data));
  }

  removeStorageSync(key: string): void {
    this.storage.delete(key);
  }

  readonly uploadFile: UploadFile = async (options) => {
    const bytes = this.files.get(options.filePath);
    // eslint-disable-next-line @typescript-eslint/only-throw-error -- Taro.uploadFile fails with a plain { errMsg }
    if (!bytes) throw { errMsg: `uploadFile:fail file not found ${options.filePath}` };
    const form = new FormData();
    form.append(options.name, new Blob([bytes]), "avatar");
    let response: Response;
    try {
      response = await fetch(options.url, {
        method: "POST",
        headers: options.header,
        body: form,
        signal: AbortSignal.timeout(options.timeout),
      });
    } catch (error) {
      // eslint-disable-next-line @typescript-eslint/only-throw-error -- as above: a plain { errMsg }, like Taro
      throw { errMsg: `uploadFile:fail ${String(error)}` };
    }
    return { statusCode: response.status, data: await response.text() };
  };
}
