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
} as const;

/** Longest openid/unionid the mock accepts; real ones are 28 chars. */
const MAX_ID_LENGTH = 128;

// Strict so a typo such as "openId" is an error instead of a silently random user.
export const mintLoginCodeRequestSchema = z.strictObject({
  openid: z.string().min(1).max(MAX_ID_LENGTH).optional(),
  unionid: z.string().min(1).max(MAX_ID_LENGTH).optional(),
});
export type MintLoginCodeRequest = z.infer<typeof mintLoginCodeRequestSchema>;

export const mintLoginCodeResponseSchema = z.object({ code: z.string().min(1), openid: z.string().min(1) });
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
    /** How many of the next calls to `path` this fault answers. */
    count: z.number().int().positive().optional(),
  })
  .refine((fault) => (fault.errcode !== undefined) !== (fault.hang === true), {
    message: "a fault needs exactly one of `errcode` or `hang: true`",
  })
  .refine((fault) => fault.errmsg === undefined || fault.errcode !== undefined, {
    message: "`errmsg` only makes sense with `errcode`",
  });
export type MockFault = z.infer<typeof mockFaultSchema>;

/** Calls per path, e.g. { "/sns/jscode2session": 3, "/mock/login": 4 }. */
export const mockStatsSchema = z.record(z.string(), z.number().int().nonnegative());
export type MockStats = z.infer<typeof mockStatsSchema>;

/** Shape of every non-2xx answer of the /mock/* routes. */
export const mockErrorBodySchema = z.object({ error: z.string(), message: z.string() });
export type MockErrorBody = z.infer<typeof mockErrorBodySchema>;
