import {
  ERROR_TAXONOMY,
  HTTP_STATUS_BY_CODE,
  type ErrorData,
  type ErrorEnvelope,
  type ErrorReason,
  type InputIssue,
} from "@mp-auth/contract";
import { databaseErrorReason } from "@mp-auth/db";
import { TRPCError } from "@trpc/server";
import { TRPC_ERROR_CODES_BY_KEY } from "@trpc/server/rpc";
import { ZodError, z } from "zod";
import { ApiError } from "./errors.ts";

/** What every error answer carries under `error`, inside tRPC or outside: one shape, built here only. */
export type FormattedError = ErrorEnvelope["error"];

interface Verdict {
  reason: ErrorReason;
  message: string;
  issues?: InputIssue[];
  retryAfterSeconds?: number;
  blockedUntil?: string;
}

function inputIssues(error: ZodError): InputIssue[] {
  return error.issues.map((issue) => {
    const rule = issue.code === "custom" ? (issue.params as { rule?: unknown } | undefined)?.rule : undefined;
    return { path: issue.path.join("."), code: typeof rule === "string" ? rule : issue.code, message: issue.message };
  });
}

/** INVALID_INPUT for input zod refused: a message naming the fields, and `issues`. */
export function invalidInputError(error: ZodError): ApiError {
  return new ApiError("INVALID_INPUT", {
    message: `Invalid input: ${z.prettifyError(error).replaceAll("\n", " ")}`,
    issues: inputIssues(error),
  });
}

/**
 * Which taxonomy row an error is. Our own refusals are ApiErrors and say so; the rest are tRPC's
 * (input validation, body parsing, routing) or faults, judged by code and cause.
 */
function judge(error: TRPCError): Verdict {
  if (error instanceof ApiError) {
    return {
      reason: error.reason,
      message: error.message,
      ...(error.issues ? { issues: error.issues } : {}),
      ...(error.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: error.retryAfterSeconds }),
      ...(error.blockedUntil ? { blockedUntil: error.blockedUntil.toISOString() } : {}),
    };
  }
  if (error.cause instanceof ZodError) {
    const refusal = invalidInputError(error.cause);
    return { reason: "INVALID_INPUT", message: refusal.message, issues: refusal.issues ?? [] };
  }
  if (error.code === "PARSE_ERROR" || (error.code === "BAD_REQUEST" && error.cause instanceof SyntaxError)) {
    return { reason: "INVALID_INPUT", message: "The request body is not valid JSON." };
  }
  // The database refused (another process holds the write lock; the file is gone or read-only):
  // retryable, and the client is told so rather than "Internal server error".
  const databaseReason = databaseErrorReason(error.cause ?? error);
  if (databaseReason) return { reason: databaseReason, message: ERROR_TAXONOMY[databaseReason].message };
  switch (error.code) {
    case "BAD_REQUEST":
      // tRPC's own refusals of a request it cannot read (an unreadable multipart body, a batch
      // without inputs): its message names the problem and holds no input. Oversized batches are
      // refused by the server before tRPC sees them (BATCH_TOO_LARGE, an ApiError), so no English
      // message is matched here.
      return { reason: "INVALID_INPUT", message: `Invalid input: ${error.message}` };
    case "UNSUPPORTED_MEDIA_TYPE":
      return {
        reason: "INVALID_INPUT",
        message: "Send the input as JSON (Content-Type: application/json), or multipart/form-data for uploads.",
      };
    case "NOT_FOUND":
      return { reason: "ROUTE_NOT_FOUND", message: error.message };
    case "METHOD_NOT_SUPPORTED":
      return { reason: "METHOD_NOT_ALLOWED", message: error.message };
    case "PAYLOAD_TOO_LARGE":
      return { reason: "UPLOAD_TOO_LARGE", message: "The request body is larger than this server accepts." };
    default:
      // The cause may hold SQL, file paths or driver text: the server logs it, the client gets none.
      return { reason: "INTERNAL", message: ERROR_TAXONOMY.INTERNAL.message };
  }
}

/**
 * The answer for any error: `{ message, code, data }` with `data` in the contract's ErrorData shape.
 * The tRPC error formatter returns it, and the server's own answers (unknown paths, /healthz,
 * avatar files) wrap it in `{ error }`, so no answer can drift from the other.
 */
export function formatError(error: TRPCError, path?: string): FormattedError {
  const verdict = judge(error);
  const row = ERROR_TAXONOMY[verdict.reason];
  const data: ErrorData = {
    code: row.code,
    httpStatus: HTTP_STATUS_BY_CODE[row.code],
    reason: verdict.reason,
    action: row.action,
    retryable: row.action === "retry",
    ...(verdict.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: verdict.retryAfterSeconds }),
    ...(verdict.issues ? { issues: verdict.issues } : {}),
    ...(path === undefined ? {} : { path }),
    ...(verdict.blockedUntil === undefined ? {} : { blockedUntil: verdict.blockedUntil }),
  };
  return { message: verdict.message, code: TRPC_ERROR_CODES_BY_KEY[row.code], data };
}

/** For answers outside tRPC: the HTTP status and the `{ error: { message, code, data } }` body. */
export function errorEnvelope(error: unknown): { status: number; body: ErrorEnvelope } {
  const trpcError = error instanceof TRPCError ? error : new TRPCError({ code: "INTERNAL_SERVER_ERROR", cause: error });
  const formatted = formatError(trpcError);
  return { status: formatted.data.httpStatus, body: { error: formatted } };
}
