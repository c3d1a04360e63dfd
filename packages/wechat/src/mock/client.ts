/**
 * Typed helpers that drive a running mock over HTTP, so they work from another process (the API
 * server's tests, a dev tool, the H5 build in a browser). Browser-safe: fetch and zod only.
 */
import type { z } from "zod";
import {
  MOCK_ROUTE_PATHS,
  encryptForUserResponseSchema,
  mintLoginCodeResponseSchema,
  mintPhoneCodeResponseSchema,
  mockClockSchema,
  mockErrorBodySchema,
  mockStatsSchema,
} from "./protocol.ts";
import type {
  EncryptForUserRequest,
  EncryptForUserResponse,
  MintLoginCodeRequest,
  MintLoginCodeResponse,
  MintPhoneCodeRequest,
  MintPhoneCodeResponse,
  MockClockState,
  MockFault,
  MockStats,
} from "./protocol.ts";

const MOCK_CLIENT_TIMEOUT_MS = 5000;

/** What wx.login would give the mini-program: a fresh single-use code for `openid` (random when omitted). */
export function mintLoginCode(mockUrl: string, options: MintLoginCodeRequest = {}): Promise<MintLoginCodeResponse> {
  return callMock(mockUrl, "POST", MOCK_ROUTE_PATHS.login, options, mintLoginCodeResponseSchema);
}

/** What the getPhoneNumber button would give: a single-use code for getuserphonenumber, and the number it will answer. */
export function mintPhoneCode(mockUrl: string, options: MintPhoneCodeRequest = {}): Promise<MintPhoneCodeResponse> {
  return callMock(mockUrl, "POST", MOCK_ROUTE_PATHS.phone, options, mintPhoneCodeResponseSchema);
}

/**
 * What the legacy getPhoneNumber / getUserInfo button would give: `data` plus a watermark,
 * encrypted with the user's current session_key (or `request.sessionKey`).
 */
export function encryptForUser(mockUrl: string, request: EncryptForUserRequest): Promise<EncryptForUserResponse> {
  return callMock(mockUrl, "POST", MOCK_ROUTE_PATHS.encryptedData, request, encryptForUserResponseSchema);
}

/** Moves the mock's clock forward: code TTLs, token expiry and watermark timestamps follow. */
export function advanceMockClock(mockUrl: string, advanceMs: number): Promise<MockClockState> {
  return callMock(mockUrl, "POST", MOCK_ROUTE_PATHS.clock, { advanceMs }, mockClockSchema);
}

export function getMockClock(mockUrl: string): Promise<MockClockState> {
  return callMock(mockUrl, "GET", MOCK_ROUTE_PATHS.clock, undefined, mockClockSchema);
}

/** Queues a fault for the next `fault.count` (default 1) calls of `fault.path`. */
export async function injectFault(mockUrl: string, fault: MockFault): Promise<void> {
  await callMock(mockUrl, "POST", MOCK_ROUTE_PATHS.faults, fault, undefined);
}

export async function clearFaults(mockUrl: string): Promise<void> {
  await callMock(mockUrl, "DELETE", MOCK_ROUTE_PATHS.faults, undefined, undefined);
}

export function getMockStats(mockUrl: string): Promise<MockStats> {
  return callMock(mockUrl, "GET", MOCK_ROUTE_PATHS.stats, undefined, mockStatsSchema);
}

/** Forgets users, codes, tokens, faults and call counts, and puts the clock back. */
export async function resetMock(mockUrl: string): Promise<void> {
  await callMock(mockUrl, "POST", MOCK_ROUTE_PATHS.reset, undefined, undefined);
}

async function callMock<T>(
  mockUrl: string,
  method: "GET" | "POST" | "DELETE",
  path: string,
  body: unknown,
  responseSchema: z.ZodType<T> | undefined,
): Promise<T> {
  const what = `mock WeChat ${method} ${path}`;
  const response = await fetch(`${mockUrl.replace(/\/+$/, "")}${path}`, {
    method,
    signal: AbortSignal.timeout(MOCK_CLIENT_TIMEOUT_MS),
    ...(body === undefined ? {} : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${what} answered HTTP ${response.status} with a non-JSON body: is ${mockUrl} the mock?`);
  }
  if (!response.ok) {
    const error = mockErrorBodySchema.safeParse(json);
    throw new Error(
      `${what} failed with HTTP ${response.status}: ${error.success ? error.data.message : text.slice(0, 200)}`,
    );
  }
  if (responseSchema === undefined) return undefined as T;
  const parsed = responseSchema.safeParse(json);
  if (!parsed.success) throw new Error(`${what} answered an unexpected body: ${text.slice(0, 200)}`);
  return parsed.data;
}
