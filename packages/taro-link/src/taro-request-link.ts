import { httpBatchLink, type HTTPBatchLinkOptions, type TRPCLink } from "@trpc/client";
import type { AnyTRPCClientTypes, AnyTRPCRouter } from "@trpc/server";
import { installAbortControllerPolyfill } from "./abort-polyfill.ts";
import { taroFetch, type TaroFetchOptions } from "./taro-fetch.ts";
import type { TaroLike } from "./taro-like.ts";

export interface TaroRequestLinkOptions extends TaroFetchOptions {
  /** The tRPC endpoint, e.g. `https://api.example.com/trpc`. */
  url: string;
  taro: Pick<TaroLike, "request">;
  /** Headers for each batch; a function receives the batch's operations. */
  headers?: HTTPBatchLinkOptions<AnyTRPCClientTypes>["headers"];
  /**
   * The longest URL a batched GET may have; longer batches are split. Default 4000, well under
   * the limits of common gateways and of Node's default header size.
   */
  maxURLLength?: number;
  /** The most calls in one batch. Default 10: the server's default MAX_BATCH_SIZE (match it). */
  maxItems?: number;
}

/** The server refuses larger batches (MAX_BATCH_SIZE, default 10) with BATCH_TOO_LARGE. */
const DEFAULT_MAX_ITEMS = 10;

/**
 * The transport, one job: send calls. tRPC's own httpBatchLink, with a `fetch` built on
 * `Taro.request`. Calls made in the same tick travel in one request (queries as GET, mutations as
 * POST), which also keeps the mini-program far from WeChat's limit of 10 requests in flight.
 *
 * The server must use no transformer (plain JSON): timestamps arrive as ISO-8601 strings.
 */
export function taroRequestLink<TRouter extends AnyTRPCRouter>(options: TaroRequestLinkOptions): TRPCLink<TRouter> {
  installAbortControllerPolyfill();
  const batchOptions: HTTPBatchLinkOptions<AnyTRPCClientTypes> = {
    url: options.url,
    fetch: taroFetch(options.taro, options),
    headers: options.headers,
    maxURLLength: options.maxURLLength ?? 4000,
    maxItems: options.maxItems ?? DEFAULT_MAX_ITEMS,
  };
  // Typed for any router: the transformer option httpBatchLink demands depends on the router's
  // config, and this link only supports routers without a transformer.
  return httpBatchLink<AnyTRPCRouter>(batchOptions) as TRPCLink<TRouter>;
}
