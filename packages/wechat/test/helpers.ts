import { createServer } from "node:http";
import type { RequestListener } from "node:http";
import type { AddressInfo } from "node:net";
import { inspect } from "node:util";
import { expect } from "vitest";
import { WechatError } from "../src/index.ts";

export const CODE2SESSION_PATH = "/sns/jscode2session";
export const STABLE_TOKEN_PATH = "/cgi-bin/stable_token";
export const LEGACY_TOKEN_PATH = "/cgi-bin/token";
export const PHONE_NUMBER_PATH = "/wxa/business/getuserphonenumber";
export const CHECK_SESSION_PATH = "/wxa/checksession";
export const RESET_SESSION_KEY_PATH = "/wxa/resetusersessionkey";

/** Every path /mock/stats counts, at zero: WeChat routes and the counted control routes. */
export const ZERO_STATS: Readonly<Record<string, number>> = {
  [CODE2SESSION_PATH]: 0,
  [STABLE_TOKEN_PATH]: 0,
  [LEGACY_TOKEN_PATH]: 0,
  [PHONE_NUMBER_PATH]: 0,
  [CHECK_SESSION_PATH]: 0,
  [RESET_SESSION_KEY_PATH]: 0,
  "/mock/login": 0,
  "/mock/phone": 0,
  "/mock/encrypted-data": 0,
};

/** Awaits a promise that must reject with a WechatError, and returns that error. */
export async function expectWechatError(promise: Promise<unknown>): Promise<WechatError> {
  let settled: unknown;
  try {
    await promise;
  } catch (error) {
    settled = error;
  }
  expect(settled, "the call should have rejected").toBeInstanceOf(WechatError);
  return settled as WechatError;
}

/** Runs a function that must throw a WechatError, and returns that error. */
export function expectWechatErrorSync(run: () => unknown): WechatError {
  let thrown: unknown;
  try {
    run();
  } catch (error) {
    thrown = error;
  }
  expect(thrown, "the call should have thrown").toBeInstanceOf(WechatError);
  return thrown as WechatError;
}

/** Every way an error typically ends up in a log or an HTTP answer. */
export function renderingsOf(error: unknown): string[] {
  const renderings = [String(error), JSON.stringify(error), inspect(error, { depth: 10, showHidden: true })];
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    renderings.push(current.message, current.stack ?? "", String(current));
    current = current.cause;
  }
  return renderings;
}

/** Fails when any secret value (or a request URL) shows in any rendering of the error. */
export function expectNoLeak(error: unknown, secretValues: string[]): void {
  // Request URLs hold the secret, codes or the access_token: no rendering may quote one.
  const forbidden = [...secretValues, "js_code=", "access_token=", `${CODE2SESSION_PATH}?`];
  for (const value of forbidden) {
    expect(value.length, "an empty secret would make this check meaningless").toBeGreaterThan(3);
    for (const rendering of renderingsOf(error)) {
      expect(rendering).not.toContain(value);
    }
  }
}

/** A throwaway HTTP server for answers the mock never gives (HTML pages, odd JSON). */
export async function startRawServer(listener: RequestListener): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A port nothing listens on: bound, then released. */
export async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A real-looking code the mock never minted. */
export const NEVER_MINTED_CODE = "0a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P";

export function isBase64Of16Bytes(value: string): boolean {
  return /^[A-Za-z0-9+/]{22}==$/.test(value) && Buffer.from(value, "base64").length === 16;
}
