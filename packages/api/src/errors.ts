import {
  ERROR_TAXONOMY,
  type ClientAction,
  type ErrorReason,
  type InputIssue,
  type SessionReason,
  type TaxonomyRow,
} from "@mp-auth/contract";
import { TRPCError } from "@trpc/server";

/**
 * A TRPCError raised by reason: its tRPC code, default message and client action come from the
 * contract's ERROR_TAXONOMY row, so the server cannot answer a reason with a code the table does
 * not give it. The error formatter (error-format.ts) turns it into `error.data`.
 */
export class ApiError extends TRPCError {
  readonly reason: ErrorReason;
  readonly action: ClientAction;
  /** For TOO_MANY_REQUESTS and overload: when the same call can succeed (`error.data.retryAfterSeconds`). */
  readonly retryAfterSeconds: number | undefined;
  /** For INVALID_INPUT raised by our own checks: the fields at fault (`error.data.issues`). */
  readonly issues: InputIssue[] | undefined;
  /** For ACCOUNT_BANNED: when the ban ends (`error.data.blockedUntil`); undefined until lifted. */
  readonly blockedUntil: Date | undefined;

  constructor(
    reason: ErrorReason,
    options: {
      message?: string;
      retryAfterSeconds?: number;
      issues?: InputIssue[];
      blockedUntil?: Date | undefined;
      cause?: unknown;
    } = {},
  ) {
    const row: TaxonomyRow = ERROR_TAXONOMY[reason];
    super({ code: row.code, message: options.message ?? row.message, cause: options.cause });
    this.name = "ApiError";
    this.reason = reason;
    this.action = row.action;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.issues = options.issues;
    this.blockedUntil = options.blockedUntil;
  }

  get retryable(): boolean {
    return this.action === "retry";
  }
}

export function sessionRefused(reason: SessionReason): ApiError {
  return new ApiError(reason);
}
