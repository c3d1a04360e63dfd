import type { HTTPBatchLinkOptions } from "@trpc/client";
import type { AnyTRPCClientTypes } from "@trpc/server";
import {
  ignoreReturnedRejection,
  requestFailed,
  type HttpMethod,
  type RequestTaskLike,
  type TaroLike,
  type TaroRequestOptions,
  type TaroRequestSuccess,
} from "./taro-like.ts";
import { TaroRequestError } from "./taro-request-error.ts";
import { bodyText, headerOf, parseTrpcBody } from "./trpc-response.ts";

/** The `fetch` signature tRPC's HTTP links accept. */
export type FetchLike = NonNullable<HTTPBatchLinkOptions<AnyTRPCClientTypes>["fetch"]>;
type FetchInit = NonNullable<Parameters<FetchLike>[1]>;
/** taroFetch's own type: a FetchLike whose responses are TaroResponses. */
export type TaroFetch = (input: Parameters<FetchLike>[0], init?: FetchInit) => Promise<TaroResponse>;

export interface TaroFetchOptions {
  /** Milliseconds before a request fails with a timeout error. Default 20 000 (WeChat's is 60 000). */
  timeoutMs?: number;
  /**
   * Requests this fetch keeps in flight at once; more wait in a queue. WeChat allows 10 for the
   * whole mini-program, so lower this if the app makes other requests of its own. Default 10.
   */
  maxConcurrentRequests?: number;
}

/** The Response-like object tRPC reads: httpBatchLink only calls `json()`; the rest is for `meta`. */
export interface TaroResponse {
  readonly ok: boolean;
  readonly status: number;
  readonly url: string;
  readonly headers: { get(name: string): string | null };
  json(): Promise<unknown>;
  text(): Promise<string>;
}

export const DEFAULT_TIMEOUT_MS = 20_000;
export const DEFAULT_MAX_CONCURRENT_REQUESTS = 10;
const PLATFORM_TIMEOUT_GRACE_MS = 1_000;

/**
 * A `fetch` for tRPC's httpBatchLink built on `Taro.request`: GETs carry no `data`, the body is
 * fetched as text and parsed here (so an HTML error page becomes a clear error), `fail` and
 * timeouts become TaroRequestErrors, and aborting the signal aborts the RequestTask.
 */
export function taroFetch(taro: Pick<TaroLike, "request">, options: TaroFetchOptions = {}): TaroFetch {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const slots = createRequestSlots(options.maxConcurrentRequests ?? DEFAULT_MAX_CONCURRENT_REQUESTS);

  return (input, init) =>
    new Promise<TaroResponse>((resolve, reject) => {
      const url = String(input);
      const method = (init?.method ?? "GET").toUpperCase() as HttpMethod;
      const signal = init?.signal ?? undefined;
      const describe = `${method} ${url}`;
      const body = init?.body;
      if (body !== undefined && body !== null && typeof body !== "string") {
        reject(new TaroRequestError("network", `Only JSON string bodies can be sent: ${describe}`));
        return;
      }
      if (signal?.aborted) {
        reject(new TaroRequestError("aborted", `Aborted: ${describe}`));
        return;
      }

      let task: RequestTaskLike | undefined;
      let timer: ReturnType<typeof setTimeout> | undefined;
      let started = false;
      let settled = false;

      const settle = (outcome: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        if (started) slots.release();
        else slots.forget(start);
        outcome();
      };
      // Settle first, then abort the task: the `fail` WeChat calls after abort() is ignored.
      const giveUp = (error: TaroRequestError) => {
        settle(() => reject(error));
        task?.abort();
      };
      const onAbort = () => giveUp(new TaroRequestError("aborted", `Aborted: ${describe}`));

      function start() {
        started = true;
        timer = setTimeout(
          () => giveUp(new TaroRequestError("timeout", `Timed out after ${timeoutMs} ms: ${describe}`)),
          timeoutMs,
        );
        const requestOptions: TaroRequestOptions = {
          url,
          method,
          header: toHeaderRecord(init?.headers),
          dataType: "text",
          responseType: "text",
          // Our own timer decides (one consistent error on every platform); the platform's
          // timeout, a little later, is only a backstop.
          timeout: timeoutMs + PLATFORM_TIMEOUT_GRACE_MS,
          success: (result) => settle(() => resolve(toResponse(result, url, describe))),
          fail: (error) => settle(() => reject(requestFailed(error, describe))),
        };
        if (typeof body === "string") requestOptions.data = body;
        try {
          const returned = taro.request(requestOptions);
          ignoreReturnedRejection(returned);
          if (returned && typeof returned.abort === "function") task = returned;
        } catch (error) {
          settle(() => reject(requestFailed(error, describe)));
        }
      }

      signal?.addEventListener("abort", onAbort);
      slots.acquire(start);
    });
}

/** A counting semaphore: at most `limit` requests run, the others wait in arrival order. */
function createRequestSlots(limit: number) {
  let running = 0;
  let waiting: Array<() => void> = [];
  return {
    acquire(start: () => void) {
      if (running < limit) {
        running++;
        start();
      } else {
        waiting.push(start);
      }
    },
    release() {
      const next = waiting.shift();
      // The slot passes straight to the next waiting request, so `running` stays the same.
      if (next) next();
      else running--;
    },
    forget(start: () => void) {
      waiting = waiting.filter((queued) => queued !== start);
    },
  };
}

function toHeaderRecord(headers: FetchInit["headers"] | undefined): Record<string, string> {
  const record: Record<string, string> = {};
  if (!headers) return record;
  // tRPC itself passes a plain object (it turns iterables into one); pairs are accepted too.
  if (Array.isArray(headers)) {
    for (const [name, value] of headers) record[name] = value;
  } else {
    for (const name of Object.keys(headers)) {
      const value = (headers as Record<string, unknown>)[name];
      if (typeof value === "string") record[name] = value;
      else if (Array.isArray(value)) record[name] = value.join(", ");
    }
  }
  return record;
}

function toResponse(answer: TaroRequestSuccess, url: string, request: string): TaroResponse {
  const status = answer.statusCode;
  return {
    ok: status >= 200 && status < 300,
    status,
    url,
    headers: { get: (name) => headerOf(answer, name) },
    text: () => Promise.resolve(bodyText(answer)),
    // A Promise constructor turns parseTrpcBody's throw into the rejection httpBatchLink expects.
    json: () => new Promise((resolve) => resolve(parseTrpcBody(answer, request, true))),
  };
}
