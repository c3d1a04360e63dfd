import { MapStorage } from "./map-storage.ts";
import type {
  RequestTaskLike,
  TaroCheckSessionOptions,
  TaroLike,
  TaroLoginOptions,
  TaroRequestOptions,
} from "../../src/taro-like.ts";

/** One call to the fake `request`, which the test (or an auto-responder) answers by hand. */
export interface RecordedRequest {
  options: TaroRequestOptions;
  /** How many times the RequestTask's abort() was called. */
  abortCalls: number;
  settled: boolean;
  respond(statusCode: number, body: unknown, header?: Record<string, string>): void;
  fail(errMsg: string): void;
}

export interface FakeTaroOptions {
  /** Answers each request; leave it out to answer by hand through `requests`. */
  respond?: (request: RecordedRequest) => void;
  /** Return a Taro-style promise (rejecting on fail, carrying abort) instead of a bare task. */
  promiseStyle?: boolean;
  /** Remove checkSession, like a platform without it. */
  withoutCheckSession?: boolean;
}

/**
 * A Taro-like object for unit tests: in-memory storage, counted logins, a switchable
 * checkSession, and requests that behave like wx.request (success for every status, fail for
 * network errors, fail with "request:fail abort" after abort()).
 */
export class FakeTaro extends MapStorage implements TaroLike {
  readonly requests: RecordedRequest[] = [];
  loginCalls = 0;
  checkSessionCalls = 0;
  checkSessionSucceeds = true;
  /** What login gives: a code by default, or override to simulate H5 / failures. */
  nextLoginResult: () => { code?: string } | Error = () => ({ code: `code-${this.loginCalls}` });
  checkSession?: (options: TaroCheckSessionOptions) => unknown;

  constructor(private readonly fakeOptions: FakeTaroOptions = {}) {
    super();
    if (!fakeOptions.withoutCheckSession) {
      this.checkSession = (options) => {
        this.checkSessionCalls++;
        const succeeds = this.checkSessionSucceeds;
        setTimeout(() => (succeeds ? options.success() : options.fail({ errMsg: "checkSession:fail" })), 0);
      };
    }
  }

  request(options: TaroRequestOptions): RequestTaskLike {
    let onFail: (errMsg: string) => void = () => {};
    const recorded: RecordedRequest = {
      options,
      abortCalls: 0,
      settled: false,
      respond: (statusCode, body, header = { "content-type": "application/json" }) => {
        if (recorded.settled) return;
        recorded.settled = true;
        options.success({ statusCode, data: body, header });
      },
      fail: (errMsg) => onFail(errMsg),
    };
    const task: RequestTaskLike = {
      abort: () => {
        recorded.abortCalls++;
        // wx.request reports an aborted request through fail.
        recorded.fail("request:fail abort");
      },
    };
    this.requests.push(recorded);

    let returned: RequestTaskLike = task;
    if (this.fakeOptions.promiseStyle) {
      const promise = new Promise((resolve, reject) => {
        const success = options.success;
        options.success = (result) => {
          success(result);
          resolve(result);
        };
        onFail = (errMsg) => {
          if (recorded.settled) return;
          recorded.settled = true;
          options.fail({ errMsg });
          // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- as Taro's promise: a plain { errMsg }
          reject({ errMsg });
        };
      });
      returned = Object.assign(promise, { abort: () => task.abort() });
    } else {
      onFail = (errMsg) => {
        if (recorded.settled) return;
        recorded.settled = true;
        options.fail({ errMsg });
      };
    }
    this.fakeOptions.respond?.(recorded);
    return returned;
  }

  login(options: TaroLoginOptions): unknown {
    this.loginCalls++;
    const result = this.nextLoginResult();
    setTimeout(() => (result instanceof Error ? options.fail({ errMsg: result.message }) : options.success(result)), 0);
    return undefined;
  }
}
