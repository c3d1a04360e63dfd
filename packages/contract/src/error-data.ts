import { isClientAction, type ClientAction, type ErrorCode, type ErrorReason } from "./error-taxonomy.ts";
import type { InputIssueCode } from "./input-rules.ts";

/**
 * One field of the input that was refused, in `error.data.issues`: `path` names the field
 * ("nickname"), `code` is zod's issue code ("too_small", "invalid_type"...) or the rule of one of
 * our own checks, so clients word the error in their language without parsing ours.
 */
export interface InputIssue {
  path: string;
  code: InputIssueCode | (string & {});
  message: string;
}

/**
 * `error.data` of every error answer of the server, tRPC procedure or not (uploads, /healthz,
 * unknown paths): one shape, so one client reads them all.
 */
export interface ErrorData {
  code: ErrorCode;
  httpStatus: number;
  reason: ErrorReason;
  action: ClientAction;
  retryable: boolean;
  /** For TOO_MANY_REQUESTS and overload: when the same call can succeed. */
  retryAfterSeconds?: number;
  /** For INVALID_INPUT: what was wrong, field by field. */
  issues?: InputIssue[];
  /** The procedure, for tRPC calls. */
  path?: string;
  /** For ACCOUNT_BANNED: when the ban ends, ISO-8601 (absent: until an operator lifts it). */
  blockedUntil?: string;
}

/** The JSON body of an error answer outside tRPC's own batching: `{ error: { message, code, data } }`. */
export interface ErrorEnvelope {
  error: { message: string; code: number; data: ErrorData };
}

/** What a client can rely on after reading an unknown error: each field only when well-formed. */
export interface ReadErrorData {
  /**
   * As sent: a newer server may answer a reason this build does not know yet. Narrow it with
   * `isErrorReason` (which pulls the whole table into a bundle; the Taro link does without).
   */
  reason?: string;
  action?: ClientAction;
  code?: string;
  httpStatus?: number;
  retryAfterSeconds?: number;
  issues?: InputIssue[];
}

/**
 * Reads `error.data` (a TRPCClientError, a parsed envelope's `error`, or anything else) without
 * trusting it: malformed fields and unknown actions are dropped, never guessed.
 */
export function readErrorData(error: unknown): ReadErrorData {
  const raw = error !== null && typeof error === "object" ? (error as { data?: unknown }).data : undefined;
  if (raw === null || typeof raw !== "object") return {};
  const data = raw as Record<string, unknown>;
  const read: ReadErrorData = {};
  if (typeof data.reason === "string") read.reason = data.reason;
  if (isClientAction(data.action)) read.action = data.action;
  if (typeof data.code === "string") read.code = data.code;
  if (typeof data.httpStatus === "number") read.httpStatus = data.httpStatus;
  if (typeof data.retryAfterSeconds === "number") read.retryAfterSeconds = data.retryAfterSeconds;
  if (Array.isArray(data.issues)) {
    read.issues = data.issues.filter(
      (issue): issue is InputIssue =>
        issue !== null &&
        typeof issue === "object" &&
        typeof (issue as InputIssue).path === "string" &&
        typeof (issue as InputIssue).code === "string",
    );
  }
  return read;
}

/**
 * The end of a ban (ACCOUNT_BANNED's `error.data.blockedUntil`), when it is a date. Apart from
 * readErrorData so the Taro link, which only needs the action, does not carry it.
 */
export function readBlockedUntil(error: unknown): string | undefined {
  const data = error !== null && typeof error === "object" ? (error as { data?: unknown }).data : undefined;
  const until =
    data !== null && typeof data === "object" ? (data as { blockedUntil?: unknown }).blockedUntil : undefined;
  return typeof until === "string" && !Number.isNaN(Date.parse(until)) ? until : undefined;
}
