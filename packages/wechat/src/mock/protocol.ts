/**
 * Bodies of the mock's own /mock/* routes, shared by the server (to validate) and the client
 * helpers (to type and check answers). No Node imports here: the H5 build may load this in a browser.
 */
import { z } from "zod";

export const MOCK_ROUTE_PATHS = {
  login: "/mock/login",
  faults: "/mock/faults",
  stats: "/mock/stats",
  reset: "/mock/reset",
  phone: "/mock/phone",
  encryptedData: "/mock/encrypted-data",
  clock: "/mock/clock",
} as const;

/** Longest openid/unionid the mock accepts; real ones are 28 chars. */
const MAX_ID_LENGTH = 128;

/** Which of the mock's apps a /mock/* request is for; default its first (startMockWechat's `apps`). */
const appidField = z.string().min(1).max(MAX_ID_LENGTH).optional();

// Strict so a typo such as "openId" is an error instead of a silently random user.
export const mintLoginCodeRequestSchema = z
  .strictObject({
    appid: appidField,
    openid: z.string().min(1).max(MAX_ID_LENGTH).optional(),
    unionid: z.string().min(1).max(MAX_ID_LENGTH).optional(),
    /**
     * One human across the mock's apps, by a name of the test's choosing: their openid differs per
     * appid and their unionid is the same in every app (the mock's apps count as bound to one Open
     * Platform account). Not with `openid`.
     */
    person: z.string().min(1).max(MAX_ID_LENGTH).optional(),
    /**
     * Default true: the code comes with a new session_key (the old one dies), as WeChat may do on any
     * wx.login. false: the code is bound to the user's current key (a new user still gets one).
     */
    rotateSessionKey: z.boolean().optional(),
  })
  .refine((request) => request.person === undefined || request.openid === undefined, {
    message: "pass `person` (openid derived per app) or `openid`, not both",
  });
export type MintLoginCodeRequest = z.infer<typeof mintLoginCodeRequestSchema>;

export const mintLoginCodeResponseSchema = z.object({
  code: z.string().min(1),
  openid: z.string().min(1),
  /** The user's unionid, when they have one (given, or a `person`'s). */
  unionid: z.string().min(1).optional(),
});
export type MintLoginCodeResponse = z.infer<typeof mintLoginCodeResponseSchema>;

export const mockFaultSchema = z
  .strictObject({
    /** The WeChat API path the fault applies to, e.g. "/sns/jscode2session". */
    path: z.string().startsWith("/"),
    /** Answer `{ errcode, errmsg }` with HTTP 200, as WeChat does. */
    errcode: z.number().int().optional(),
    /** Defaults to WeChat's usual wording for the errcode. Needs `errcode`. */
    errmsg: z.string().optional(),
    /** Never answer (until the mock closes): simulates a WeChat that hangs. */
    hang: z.boolean().optional(),
    /** Answer HTTP 502 with an HTML page, as a gateway in front of WeChat does when it fails. */
    badGateway: z.boolean().optional(),
    /** Cut the connection without an answer (a TCP reset): simulates a network failure mid-call. */
    reset: z.boolean().optional(),
    /** How many of the next calls to `path` this fault answers. */
    count: z.number().int().positive().optional(),
  })
  .refine(
    (fault) =>
      [fault.errcode !== undefined, fault.hang === true, fault.badGateway === true, fault.reset === true].filter(
        Boolean,
      ).length === 1,
    { message: "a fault needs exactly one of `errcode`, `hang: true`, `badGateway: true` or `reset: true`" },
  )
  .refine((fault) => fault.errmsg === undefined || fault.errcode !== undefined, {
    message: "`errmsg` only makes sense with `errcode`",
  });
export type MockFault = z.infer<typeof mockFaultSchema>;

export const mintPhoneCodeRequestSchema = z.strictObject({
  appid: appidField,
  /** The number without country code; default a random "1380013xxxx" (or the one remembered for `openid`). */
  phoneNumber: z
    .string()
    .regex(/^\d{5,20}$/, "digits only, without country code")
    .optional(),
  /** Default "86" (mainland China). */
  countryCode: z
    .string()
    .regex(/^\d{1,4}$/, "1 to 4 digits, without '+'")
    .optional(),
  /**
   * The user pressing the button: the code is theirs alone (getuserphonenumber with another openid
   * answers 40029), and later codes for this openid default to the same number. Omitted: a code any
   * user may redeem.
   */
  openid: z.string().min(1).max(MAX_ID_LENGTH).optional(),
});
export type MintPhoneCodeRequest = z.infer<typeof mintPhoneCodeRequestSchema>;

/** `code` is what the getPhoneNumber button gives; the rest is what getuserphonenumber will answer. */
export const mintPhoneCodeResponseSchema = z.object({
  code: z.string().min(1),
  phoneNumber: z.string().min(1),
  purePhoneNumber: z.string().min(1),
  countryCode: z.string().min(1),
});
export type MintPhoneCodeResponse = z.infer<typeof mintPhoneCodeResponseSchema>;

export const encryptForUserRequestSchema = z.strictObject({
  appid: appidField,
  /** A user the mock knows (mint a login code first), unless `sessionKey` is given. */
  openid: z.string().min(1).max(MAX_ID_LENGTH),
  /** The plaintext fields, e.g. { phoneNumber, purePhoneNumber, countryCode } or a user profile. */
  data: z.record(z.string(), z.unknown()),
  /** Encrypt with this key instead of the user's current one (e.g. to play a stale key). */
  sessionKey: z.string().min(1).optional(),
  /** Overrides of the watermark the mock adds (default: the request's app, the mock clock's now). */
  watermark: z.strictObject({ appid: z.string().optional(), timestamp: z.number().int().optional() }).optional(),
});
export type EncryptForUserRequest = z.infer<typeof encryptForUserRequestSchema>;

/**
 * What the legacy getPhoneNumber / getUserInfo button gives the mini-program: `encryptedData` and
 * `iv`; plus `rawData` (the JSON of `data`, without watermark) and its `signature` (sha1 of rawData
 * + session_key), as getUserInfo gives them.
 */
export const encryptForUserResponseSchema = z.object({
  encryptedData: z.string().min(1),
  iv: z.string().min(1),
  rawData: z.string(),
  signature: z.string().min(1),
});
export type EncryptForUserResponse = z.infer<typeof encryptForUserResponseSchema>;

/** A year at most per call: enough for any lifetime the mock models, and catches seconds-vs-ms slips. */
const MAX_CLOCK_ADVANCE_MS = 366 * 86_400_000;

export const advanceClockRequestSchema = z.strictObject({
  /** Forward only: moving back would revive expired codes and tokens. */
  advanceMs: z.number().int().nonnegative().max(MAX_CLOCK_ADVANCE_MS),
});
export type AdvanceClockRequest = z.infer<typeof advanceClockRequestSchema>;

/** The mock's now (epoch ms) and how far /mock/clock has moved it ahead of its base clock. */
export const mockClockSchema = z.object({ now: z.number(), offsetMs: z.number() });
export type MockClockState = z.infer<typeof mockClockSchema>;

/** Calls per path, e.g. { "/sns/jscode2session": 3, "/cgi-bin/stable_token": 1, "/mock/login": 4 }. */
export const mockStatsSchema = z.record(z.string(), z.number().int().nonnegative());
export type MockStats = z.infer<typeof mockStatsSchema>;

/** Shape of every non-2xx answer of the /mock/* routes. */
export const mockErrorBodySchema = z.object({ error: z.string(), message: z.string() });
export type MockErrorBody = z.infer<typeof mockErrorBodySchema>;
