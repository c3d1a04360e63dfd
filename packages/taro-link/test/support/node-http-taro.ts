import { MapStorage } from "./map-storage.ts";
import http from "node:http";
import type { RequestTaskLike, TaroLike, TaroLoginOptions, TaroRequestOptions } from "../../src/taro-like.ts";

/**
 * A Taro-like object whose `request` is real HTTP over Node's http module, with wx.request's
 * contract: `success` for every HTTP status with the body as text (dataType "text"), `fail` with
 * an errMsg for network errors, `abort()` on the returned task. Storage is a Map the test can
 * share between "launches" of the app. There is no WeChat here: tests pass a codeSource that
 * mints codes at the mock WeChat.
 */
export class NodeHttpTaro extends MapStorage implements TaroLike {
  /** Every request sent, in order: `METHOD path?query`. */
  readonly sent: string[] = [];

  request(options: TaroRequestOptions): RequestTaskLike {
    const url = new URL(options.url);
    this.sent.push(`${options.method} ${url.pathname}${url.search}`);
    let finished = false;
    const fail = (errMsg: string) => {
      if (finished) return;
      finished = true;
      options.fail({ errMsg });
    };
    const request = http.request(url, { method: options.method, headers: options.header }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("error", (error) => fail(`request:fail ${error.message}`));
      response.on("end", () => {
        if (finished) return;
        finished = true;
        options.success({
          statusCode: response.statusCode ?? 0,
          data: Buffer.concat(chunks).toString("utf8"),
          header: { ...response.headers },
        });
      });
    });
    request.setTimeout(options.timeout, () => {
      request.destroy();
      fail("request:fail timeout");
    });
    request.on("error", (error) => fail(`request:fail ${error.message}`));
    if (options.data !== undefined) request.write(options.data);
    request.end();
    return {
      abort: () => {
        request.destroy();
        fail("request:fail abort");
      },
    };
  }

  login(options: TaroLoginOptions): unknown {
    setTimeout(() => options.fail({ errMsg: "login:fail no WeChat in Node: pass a codeSource" }), 0);
    return undefined;
  }

  checkSession(options: { success: () => void }): unknown {
    setTimeout(() => options.success(), 0);
    return undefined;
  }
}
