import { httpBatchLink, type HTTPBatchLinkOptions, type TRPCLink } from "@trpc/client";
import type { AnyClientTypes, AnyRouter } from "@trpc/server/unstable-core-do-not-import";
import { installAbortControllerPolyfill } from "./abort-polyfill.ts";
import { taroFetch, type TaroFetchOptions } from "./taro-fetch.ts";
import type { TaroLike } from "./taro-like.ts";

export interface TaroRequestLinkOptions extends TaroFetchOptions {
  /** The tRPC endpoint, e.g. `https://api.example.com/trpc`. */
  url: string;
  taro: Pick<TaroLike, "request">;
  /** Headers for each batch; a function receives the batch's operations. */
  headers?: HTTPBatchLinkOptions<AnyClientTypes>["headers"];
  /**
   * The longest URL a batched GET may have; longer batches are split. Default 4000, well under
   * the limits of common gateways and of Node's default header size.
   */
  maxURLLength?: number;
  /** The most calls in one batch (match the server's limit, if it has one). */
  maxItems?: number;
}

export const DEFAULT_MAX_URL_LENGTH = 4000;

/**
 * The terminating link: tRPC's own httpBatchLink, with a `fetch` built on `Taro.request`. Calls
 * made in the same tick travel in one request (queries as GET, mutations as POST), which also
 * keeps the mini-program far from WeChat's limit of 10 requests in flight.
 *
 * The server must use no transformer (plain JSON): timestamps arrive as ISO-8601 strings.
 */
export function taroRequestLink<TRouter extends AnyRouter>(options: TaroRequestLinkOptions): TRPCLink<TRouter> {
  installAbortControllerPolyfill();
  const batchOptions: HTTPBatchLinkOptions<AnyClientTypes> = {
    url: options.url,
    fetch: taroFetch(options.taro, options),
    headers: options.headers,
    maxURLLength: options.maxURLLength ?? DEFAULT_MAX_URL_LENGTH,
    maxItems: options.maxItems,
  };
  // Typed for any router: the transformer option httpBatchLink demands depends on the router's
  // config, and this link only supports routers without a transformer.
  return httpBatchLink<AnyRouter>(batchOptions) as TRPCLink<TRouter>;
}
