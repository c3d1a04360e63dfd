import type http from "node:http";
import { ApiError, errorEnvelope } from "@mp-auth/api";
import type { ErrorEnvelope } from "@mp-auth/contract";
import { wholeNumberSetting } from "./env-number.ts";

/**
 * Load shedding: a bound on the work in flight.
 *
 * Node accepts every connection and starts every request; with more requests than the CPU can
 * serve, they all share it, each gets slower, and latency grows without limit (tails of tens of
 * seconds) while clients time out on answers the server still computes. Past a bound, refusing at
 * once is kinder: the excess gets 503 + `Retry-After` in microseconds (reason OVERLOADED, action
 * `retry`), and the requests that were admitted keep a bounded latency.
 *
 * Admission: up to `maxInFlight` requests run; then up to `maxQueued` wait, first come first served,
 * at most `maxQueueWaitMs` each (a short queue absorbs bursts without shedding); anything beyond is
 * answered 503 at once. A request leaves the count when its response closes: finished, aborted by
 * the client, or destroyed by an error. That one event covers all three, so the count cannot leak.
 */
export interface LoadSheddingSettings {
  /** Requests handled at once (MAX_REQUESTS_IN_FLIGHT). */
  maxInFlight: number;
  /** Requests waiting for a slot (MAX_REQUESTS_QUEUED); 0 sheds as soon as all slots are taken. */
  maxQueued: number;
  /** How long a request may wait for a slot before it is shed (MAX_QUEUE_WAIT_MS). */
  maxQueueWaitMs: number;
  /** Sent as `Retry-After` and `error.data.retryAfterSeconds` (OVERLOAD_RETRY_AFTER_SECONDS). */
  retryAfterSeconds: number;
}

export const DEFAULT_LOAD_SHEDDING: LoadSheddingSettings = {
  maxInFlight: 64,
  maxQueued: 64,
  maxQueueWaitMs: 1_000,
  retryAfterSeconds: 2,
};

/** The settings' entries for the server's env schema: spread them into its `z.object({...})`. */
export const loadSheddingEnvShape = {
  MAX_REQUESTS_IN_FLIGHT: wholeNumberSetting(1, 100_000, DEFAULT_LOAD_SHEDDING.maxInFlight),
  MAX_REQUESTS_QUEUED: wholeNumberSetting(0, 100_000, DEFAULT_LOAD_SHEDDING.maxQueued),
  MAX_QUEUE_WAIT_MS: wholeNumberSetting(0, 60_000, DEFAULT_LOAD_SHEDDING.maxQueueWaitMs),
  OVERLOAD_RETRY_AFTER_SECONDS: wholeNumberSetting(1, 3_600, DEFAULT_LOAD_SHEDDING.retryAfterSeconds),
};

/** The parsed env (or any object with those four keys) as settings. */
export function loadSheddingSettings(env: {
  MAX_REQUESTS_IN_FLIGHT: number;
  MAX_REQUESTS_QUEUED: number;
  MAX_QUEUE_WAIT_MS: number;
  OVERLOAD_RETRY_AFTER_SECONDS: number;
}): LoadSheddingSettings {
  return {
    maxInFlight: env.MAX_REQUESTS_IN_FLIGHT,
    maxQueued: env.MAX_REQUESTS_QUEUED,
    maxQueueWaitMs: env.MAX_QUEUE_WAIT_MS,
    retryAfterSeconds: env.OVERLOAD_RETRY_AFTER_SECONDS,
  };
}

/** The 503 body: the one error envelope of the server (api's formatter), OVERLOADED row. */
export function overloadedEnvelope(retryAfterSeconds: number): ErrorEnvelope {
  return errorEnvelope(new ApiError("OVERLOADED", { retryAfterSeconds })).body;
}

/** Why a request was shed: every slot and queue place taken, or it waited its whole allowance. */
export type ShedCause = "queue-full" | "queue-timeout";

export interface LoadShedderOptions extends LoadSheddingSettings {
  /**
   * Requests that bypass the limit and are not counted. Default: `/healthz`, so an orchestrator
   * does not restart a server that is busy but alive (a cheap probe, it cannot add much load).
   */
  isExempt?: (req: http.IncomingMessage) => boolean;
  /** Told of every shed request (e.g. to count or log it; at overload, log sparingly). */
  onShed?: (cause: ShedCause) => void;
}

export interface LoadShedder {
  /** Wraps the server's request listener: the listener runs only for admitted requests. */
  wrap(listener: http.RequestListener): http.RequestListener;
  /** Requests running now. */
  readonly inFlight: number;
  /** Requests waiting for a slot now. */
  readonly queued: number;
  /** Requests answered 503 since start. */
  readonly shed: number;
}

export const isHealthCheck = (req: http.IncomingMessage): boolean => {
  const url = req.url ?? "";
  return url === "/healthz" || url.startsWith("/healthz?");
};

interface Waiter {
  admit(): void;
}

export function createLoadShedder(options: LoadShedderOptions): LoadShedder {
  const { maxInFlight, maxQueued, maxQueueWaitMs, retryAfterSeconds, isExempt = isHealthCheck, onShed } = options;
  const body = JSON.stringify(overloadedEnvelope(retryAfterSeconds));
  let inFlight = 0;
  let shed = 0;
  const queue: Waiter[] = [];

  const refuse = (res: http.ServerResponse, cause: ShedCause) => {
    shed++;
    onShed?.(cause);
    if (res.headersSent || res.destroyed) return;
    res.writeHead(503, {
      "content-type": "application/json; charset=utf-8",
      "content-length": Buffer.byteLength(body),
      "retry-after": String(retryAfterSeconds),
      "cache-control": "no-store",
    });
    res.end(body);
  };

  /** A slot was freed: it passes straight to the longest waiter, or back to the pool. */
  const release = () => {
    const next = queue.shift();
    if (next) next.admit();
    else inFlight--;
  };

  const run = (listener: http.RequestListener, req: http.IncomingMessage, res: http.ServerResponse) => {
    // "close" is emitted once per response whether it finished, the client went away, or it was
    // destroyed after an error: the one place a slot is given back. (Once per response, so `on`,
    // without the wrapper `once` makes per call.)
    res.on("close", release);
    listener(req, res);
  };

  return {
    wrap: (listener) => (req, res) => {
      if (isExempt(req)) {
        listener(req, res);
        return;
      }
      if (inFlight < maxInFlight) {
        inFlight++;
        run(listener, req, res);
        return;
      }
      if (queue.length >= maxQueued) {
        refuse(res, "queue-full");
        return;
      }
      const leave = () => {
        const index = queue.indexOf(waiter);
        if (index >= 0) queue.splice(index, 1);
        clearTimeout(timer);
        res.off("close", leave);
      };
      const waiter: Waiter = {
        admit: () => {
          // The slot of the request that just ended is handed over: inFlight is unchanged.
          clearTimeout(timer);
          res.off("close", leave);
          run(listener, req, res);
        },
      };
      const timer = setTimeout(() => {
        leave();
        refuse(res, "queue-timeout");
      }, maxQueueWaitMs);
      // A client that gives up while waiting frees its place in the queue.
      res.once("close", leave);
      queue.push(waiter);
    },
    get inFlight() {
      return inFlight;
    },
    get queued() {
      return queue.length;
    },
    get shed() {
      return shed;
    },
  };
}
