import { ApiError } from "@mp-auth/api";
import type { ErrorReason } from "@mp-auth/contract";
import { TRPCError } from "@trpc/server";
import type { TaroRequestOptions } from "../../src/taro-like.ts";
import type { RecordedRequest } from "./fake-taro.ts";
import { serverErrorAnswer } from "./server-errors.ts";

export interface FakeCall {
  path: string;
  input: unknown;
  token: string | null;
}
export type FakeProcedure = (call: FakeCall) => unknown;

/**
 * Answers a Taro request the way a tRPC v11 HTTP handler (no transformer) does: batch paths in
 * the URL, GET inputs in `?input=`, POST inputs in the body, one envelope per call, and the
 * batch's status (the common one, or 207 when they differ). Procedures throw TRPCErrors (ApiErrors
 * for the server's reasons); their envelopes are made by the real server's error formatter.
 */
export function answerLikeTrpc(
  options: TaroRequestOptions,
  procedures: Record<string, FakeProcedure>,
): { statusCode: number; body: string } {
  const url = new URL(options.url);
  const pathPart = url.pathname.replace(/^.*?\/trpc\//, "");
  const paths = decodeURIComponent(pathPart).split(",");
  const isBatch = url.searchParams.get("batch") === "1";
  const rawInput = options.method === "GET" ? url.searchParams.get("input") : options.data;
  const inputs = rawInput ? (JSON.parse(rawInput) as Record<string, unknown>) : {};
  const authorization = options.header["Authorization"] ?? options.header["authorization"];
  const token = authorization?.startsWith("Bearer ") ? authorization.slice("Bearer ".length) : null;

  const outcomes = paths.map((path, index) => {
    const input = isBatch ? inputs[index] : inputs;
    const procedure = procedures[path];
    try {
      if (!procedure) throw new TRPCError({ code: "NOT_FOUND", message: `No procedure ${path}` });
      return { status: 200, envelope: { result: { data: procedure({ path, input, token }) ?? null } } };
    } catch (error) {
      const failure =
        error instanceof TRPCError ? error : new TRPCError({ code: "INTERNAL_SERVER_ERROR", cause: error });
      return serverErrorAnswer(failure, path);
    }
  });
  const statuses = new Set(outcomes.map((outcome) => outcome.status));
  const statusCode = statuses.size === 1 ? outcomes[0]!.status : 207;
  const payload = isBatch ? outcomes.map((outcome) => outcome.envelope) : outcomes[0]!.envelope;
  return { statusCode, body: JSON.stringify(payload) };
}

/**
 * A fake auth server: auth.login issues `token-N` for any code, tokens can be expired/revoked,
 * protected procedures refuse unknown tokens with UNAUTHORIZED + reason.
 */
export class FakeAuthServer {
  readonly validTokens = new Set<string>();
  loginCalls = 0;
  logoutCalls = 0;
  meCalls = 0;
  codesSeen: string[] = [];
  /** The code of every auth.login call, failed ones included. */
  loginCodes: string[] = [];
  /** The reason protected procedures give for a token that is not valid. */
  refusalReason: ErrorReason = "EXPIRED";
  /** Set to make auth.login fail. */
  loginFailure: TRPCError | null = null;
  /** auth.login failures to answer, one per call, before `loginFailure` applies. */
  loginFailures: TRPCError[] = [];
  /** Set to make every issued token already invalid (to test a second refusal). */
  issueDeadTokens = false;
  private issued = 0;

  readonly procedures: Record<string, FakeProcedure> = {
    "auth.login": ({ input }) => {
      this.loginCalls++;
      this.loginCodes.push((input as { code: string }).code);
      const queued = this.loginFailures.shift();
      if (queued) throw queued;
      if (this.loginFailure) throw this.loginFailure;
      this.codesSeen.push((input as { code: string }).code);
      const token = `token-${++this.issued}`;
      if (!this.issueDeadTokens) this.validTokens.add(token);
      return {
        token,
        expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
        user: { id: "u1", nickname: null, avatarUrl: null },
      };
    },
    "auth.logout": ({ token }) => {
      this.logoutCalls++;
      this.requireSession(token);
      this.validTokens.delete(token!);
      return { ok: true };
    },
    "user.me": ({ token }) => {
      this.meCalls++;
      this.requireSession(token);
      return { id: "u1", nickname: "Tester", avatarUrl: null };
    },
    "user.echo": ({ token, input }) => {
      this.requireSession(token);
      return input;
    },
  };

  requireSession(token: string | null): void {
    if (token === null) throw new ApiError("NO_TOKEN");
    if (!this.validTokens.has(token)) throw new ApiError(this.refusalReason);
  }

  private readonly queuedFailures = new Map<string, TRPCError[]>();

  /** The next calls of `path` fail with these errors, one each, before the procedure runs. */
  failNext(path: string, ...errors: TRPCError[]): void {
    this.queuedFailures.set(path, [...(this.queuedFailures.get(path) ?? []), ...errors]);
  }

  private readonly proceduresWithFailures: Record<string, FakeProcedure> = new Proxy(this.procedures, {
    get: (procedures, path: string) => {
      const procedure = procedures[path];
      if (!procedure) return undefined;
      return (call: FakeCall) => {
        const failure = this.queuedFailures.get(path)?.shift();
        if (failure) throw failure;
        return procedure(call);
      };
    },
  });

  /** An auto-responder for FakeTaro: answers on the next macrotask, like a network would. */
  readonly respond = (request: RecordedRequest): void => {
    setTimeout(() => {
      const { statusCode, body } = answerLikeTrpc(request.options, this.proceduresWithFailures);
      request.respond(statusCode, body);
    }, 1);
  };
}
