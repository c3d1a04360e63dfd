import type { MockClock } from "../clock.ts";
import type { FaultQueue } from "../faults.ts";
import type { MockState } from "../state.ts";

export interface MockConfig {
  codeTtlMs: number;
  /** The mock's clock: the injected or real time plus the /mock/clock offset. */
  now: () => number;
}

/** What every route handler may use. */
export interface MockContext {
  config: MockConfig;
  state: MockState;
  faults: FaultQueue;
  clock: MockClock;
  /** Paths of all WeChat routes, for fault validation and stats. */
  wechatPaths: readonly string[];
}

export interface WechatRouteRequest {
  query: URLSearchParams;
  /** Parsed JSON body for POST routes; undefined for GET routes. */
  body: unknown;
}

/** The JSON body WeChat answers (always with HTTP 200). */
export type WechatAnswer = Record<string, unknown>;

/**
 * One WeChat API endpoint. The server takes care of counting, fault injection, the method check
 * and the text/plain JSON answer, so a route only implements WeChat's own logic.
 */
export interface WechatRoute {
  path: string;
  method: "GET" | "POST";
  handle(request: WechatRouteRequest, context: MockContext): WechatAnswer;
}

export type ControlMethod = "GET" | "POST" | "DELETE";

export interface ControlAnswer {
  status: number;
  body: unknown;
}

/** A /mock/* route: the mock's own control API, answered as application/json with CORS. */
export interface ControlRoute {
  path: string;
  /** Whether calls show up in /mock/stats (minting codes does; reading stats does not). */
  counted: boolean;
  handlers: Partial<Record<ControlMethod, (body: unknown, context: MockContext) => ControlAnswer>>;
}

/** Thrown by control handlers for a bad request; the server turns it into a JSON error answer. */
export class MockRequestError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    message: string,
  ) {
    super(message);
    this.name = "MockRequestError";
  }
}
