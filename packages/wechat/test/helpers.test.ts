// The leak check guards every error test: prove it can fail, so a passing run means something.
import { describe, expect, it } from "vitest";
import { WechatError } from "../src/index.ts";
import { expectNoLeak } from "./helpers.ts";

describe("expectNoLeak", () => {
  it("catches a secret in the message", () => {
    const error = new WechatError({ kind: "unknown", message: "secret is s3cr3t-value" });
    expect(() => expectNoLeak(error, ["s3cr3t-value"])).toThrow();
  });

  it("catches a secret hidden in the cause", () => {
    const error = new WechatError({ kind: "network", message: "fine", cause: new Error("GET /x?secret=s3cr3t-value") });
    expect(() => expectNoLeak(error, ["s3cr3t-value"])).toThrow();
  });

  it("catches a request URL", () => {
    const error = new WechatError({ kind: "network", message: "GET /sns/jscode2session?appid=a" });
    expect(() => expectNoLeak(error, ["unrelated-secret"])).toThrow();
  });

  it("catches a URL carrying an access_token", () => {
    const error = new WechatError({ kind: "network", message: "GET /wxa/checksession?access_token=abc" });
    expect(() => expectNoLeak(error, ["unrelated-secret"])).toThrow();
  });

  it("passes a clean error", () => {
    const error = new WechatError({ kind: "timeout", message: "WeChat code2Session did not answer" });
    expect(() => expectNoLeak(error, ["s3cr3t-value"])).not.toThrow();
  });
});
