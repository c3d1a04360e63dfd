/* eslint-disable @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-return --
   This module works on any router (AnyTRPCRouter), whose config tRPC types as RootConfig<any>: the
   values are as untyped as tRPC's own adapters see them. Exactness is proven instead by
   test/protocol.test.ts, which byte-compares every answer with the stock handler's. */
import type http from "node:http";
import type { AnyTRPCProcedure, AnyTRPCRouter, TRPCProcedureType } from "@trpc/server";
import {
  callTRPCProcedure,
  getTRPCErrorFromUnknown,
  getTRPCErrorShape,
  transformTRPCResponse,
  TRPCError,
} from "@trpc/server";
import { getHTTPStatusCode } from "@trpc/server/http";
import type { RequestTarget } from "./request-target.ts";

/**
 * The lean path from node:http to tRPC for the common case: a single or batched GET query or POST
 * mutation with JSON (or no) input, answered with plain JSON. It does what the stock standalone
 * handler does for these requests (tRPC 11's resolveResponse and node-http adapter), through
 * tRPC's public API (`callTRPCProcedure`, `getTRPCErrorShape`, `getHTTPStatusCode`,
 * `transformTRPCResponse`), but without building a fetch `Request`, `Headers`, a body stream and
 * three `AbortSignal`s per call, which cost more than the procedure itself on a cached lookup.
 *
 * Same status codes, same `content-type`/`vary`/`allow` headers, same body bytes, same `onError`
 * calls; the one difference is framing: a `content-length` instead of a chunked body.
 * apps/server/test/protocol.test.ts runs one suite against both paths.
 *
 * `claim` says synchronously whether a request is covered; anything it does not know (HEAD,
 * multipart or octet-stream bodies, other content types, `trpc-accept`/jsonl streaming,
 * `connectionParams`, subscriptions, lazy routers, undecodable paths) goes to the stock handler
 * untouched (no byte of the body read).
 */
export interface FastPathOptions<TContext> {
  router: AnyTRPCRouter;
  /** The URL path prefix of procedures, with both slashes ("/trpc/"). */
  prefix: string;
  maxBodyBytes: number;
  createContext: (req: http.IncomingMessage) => TContext;
  onError: (opts: { error: TRPCError; path: string | undefined; req: http.IncomingMessage }) => void;
  /**
   * Whether a call of this procedure gets an AbortSignal (aborted when the client leaves before the
   * answer is written). Default: every call, as the stock handler. On Node 20 making one costs about
   * 4 us, a twentieth of a cached lookup's CPU, so a server whose procedures mostly ignore it can
   * give one only to those that read it; the others get `signal: undefined`.
   */
  wantsSignal?: (procedure: AnyTRPCProcedure) => boolean;
}

export type FastPath = (req: http.IncomingMessage, res: http.ServerResponse, url: RequestTarget) => boolean;

interface Call {
  path: string;
  procedure: AnyTRPCProcedure | undefined;
}

type CallResult = [TRPCError, undefined] | [undefined, { data: unknown }];

const JSON_TYPE = "application/json";
const VARY = "trpc-accept, accept";
/** tRPC's own table (resolveResponse, no method override). */
const ACCEPTED_METHOD: Record<TRPCProcedureType, string> = { query: "GET", mutation: "POST", subscription: "GET" };
/** A Host header tRPC's `new URL(req.url, "http://" + host)` accepts; anything else is left to it. */
const PLAIN_HOST = /^[A-Za-z0-9.:[\]-]*$/;
/** What `Request.text()` does: UTF-8, invalid bytes replaced, a leading BOM dropped. */
const utf8 = new TextDecoder();

function mediaType(value: string | undefined): string | undefined {
  return value?.toLowerCase().split(";", 1)[0]?.trim();
}

function isObject(value: unknown): value is Record<string, unknown> {
  return !!value && !Array.isArray(value) && typeof value === "object";
}

function isAsyncIterable(value: unknown): boolean {
  return isObject(value) && Symbol.asyncIterator in value;
}

function isPromiseLike(value: unknown): boolean {
  return isObject(value) && typeof (value as { then?: unknown }).then === "function";
}

/** resolveResponse refuses results holding promises or iterators outside streaming links. */
function isDataStream(value: unknown): boolean {
  if (!isObject(value)) return false;
  if (isAsyncIterable(value)) return true;
  // Its own enumerable values, as Object.values, without an array of them per answer.
  for (const key in value) {
    if (!Object.prototype.hasOwnProperty.call(value, key)) continue;
    const entry = value[key];
    if (isPromiseLike(entry) || isAsyncIterable(entry)) return true;
  }
  return false;
}

/** The request body as text, collected from the first byte as the stock adapter's stream does. */
function collectBody(req: http.IncomingMessage, maxBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("close", onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) {
        chunks.push(chunk);
        return;
      }
      cleanup();
      reject(new TRPCError({ code: "PAYLOAD_TOO_LARGE" }));
    };
    const onEnd = () => {
      cleanup();
      resolve(utf8.decode(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
    };
    // The client left before the body ended: nobody will read the answer, but the call must end.
    const onClose = () => {
      cleanup();
      reject(new TRPCError({ code: "CLIENT_CLOSED_REQUEST", message: "The client closed the request" }));
    };
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("close", onClose);
  });
}

export function createTrpcFastPath<TContext>(options: FastPathOptions<TContext>): FastPath {
  const { router, prefix, maxBodyBytes } = options;
  const config = router._def._config;
  const procedures = router._def.procedures as Record<string, AnyTRPCProcedure>;
  const lazy = Object.keys(router._def.lazy ?? {}).length > 0;
  const deserialize = (value: unknown) => config.transformer.input.deserialize(value) as unknown;
  const wantsSignal = options.wantsSignal ?? (() => true);
  // tRPC's default transformer hands values back as they are: transformTRPCResponse's copies of the
  // payload (object spreads, 3% of a cached lookup's CPU) then change no byte of the JSON.
  const probe = {};
  const passThrough = config.transformer.output.serialize(probe) === probe;
  const serialize = (payload: unknown): string =>
    JSON.stringify(passThrough ? payload : transformTRPCResponse(config, payload as never));

  const procedureAt = (path: string): AnyTRPCProcedure | undefined =>
    Object.prototype.hasOwnProperty.call(procedures, path) ? procedures[path] : undefined;

  const shape = (
    error: TRPCError,
    type: TRPCProcedureType | "unknown",
    path: string | undefined,
    input: unknown,
    ctx: unknown,
  ) => getTRPCErrorShape({ config, error, type, path, input, ctx });

  return (req, res, url) => {
    const method = req.method;
    if (method !== "GET" && method !== "POST") return false;
    if (lazy || (config.pathSeparator ?? ".") !== ".") return false;
    const contentType = req.headers["content-type"];
    if (
      method === "POST"
        ? mediaType(contentType) !== JSON_TYPE
        : contentType !== undefined && mediaType(contentType) !== JSON_TYPE
    ) {
      return false;
    }
    if (req.headers["trpc-accept"] !== undefined || req.headers.accept?.includes("application/jsonl")) return false;
    if (url.searchParams.has("connectionParams")) return false;
    if (!PLAIN_HOST.test(req.headers.host ?? "")) return false;
    if (!url.pathname.startsWith(prefix)) return false;

    const encodedPath = url.pathname.slice(prefix.length);
    // The standalone adapter trims one slash at either end; such paths are left to it.
    if (encodedPath.startsWith("/") || encodedPath.endsWith("/")) return false;
    let procedurePath: string;
    try {
      procedurePath = decodeURIComponent(encodedPath);
    } catch {
      return false;
    }
    const isBatchCall = url.searchParams.get("batch") === "1";
    const calls: Call[] = (isBatchCall ? procedurePath.split(",") : [procedurePath]).map((path) => ({
      path,
      procedure: procedureAt(path),
    }));
    if (calls.some((call) => call.procedure?._def.type === "subscription")) return false;

    void answer(req, res, url, isBatchCall, calls).catch((cause: unknown) => {
      // The stock adapter's last resort (internal_exceptionHandler), for a fault in this file.
      const error = getTRPCErrorFromUnknown(cause);
      options.onError({ error, path: undefined, req });
      if (res.headersSent) return void res.end();
      res.statusCode = 500;
      res.end(serialize({ error: shape(error, "unknown", undefined, undefined, undefined) }));
    });
    return true;
  };

  async function answer(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    url: RequestTarget,
    isBatchCall: boolean,
    calls: Call[],
  ): Promise<void> {
    const method = req.method as "GET" | "POST";
    const body = method === "POST" ? collectBody(req, maxBodyBytes) : undefined;
    // Read lazily, as tRPC does: a call refused before its input is read never sees a bad body.
    body?.catch(() => {});

    let inputs: Record<number, unknown> | undefined;
    let inputsFailure: TRPCError | undefined;
    let reading: Promise<Record<number, unknown>> | undefined;
    const readInputs = async (): Promise<Record<number, unknown>> => {
      let raw: unknown;
      if (method === "GET") {
        const query = url.searchParams.get("input");
        if (query) raw = JSON.parse(query);
      } else {
        const text = await body!;
        if (text) raw = JSON.parse(text);
      }
      const result: Record<number, unknown> = Object.create(null) as Record<number, unknown>;
      if (raw === undefined) return result;
      if (!isBatchCall) {
        result[0] = deserialize(raw);
        return result;
      }
      if (!isObject(raw)) {
        throw new TRPCError({ code: "BAD_REQUEST", message: '"input" needs to be an object when doing a batch call' });
      }
      for (const index of calls.keys()) {
        const input = raw[index];
        if (input !== undefined) result[index] = deserialize(input);
      }
      return result;
    };
    const getInputs = async (): Promise<Record<number, unknown>> => {
      if (inputs) return inputs;
      if (inputsFailure) throw inputsFailure;
      reading ??= readInputs().catch((cause: unknown) => {
        inputsFailure =
          cause instanceof TRPCError
            ? cause
            : new TRPCError({
                code: "BAD_REQUEST",
                message: cause instanceof Error ? cause.message : "Invalid input",
                cause,
              });
        throw inputsFailure;
      });
      inputs = await reading;
      return inputs;
    };
    const inputOf = (index: number): unknown => inputs?.[index];

    let ctx: TContext | undefined;
    let allow: string | undefined;
    // A request refused before tRPC picks JSON: the body is the JSON envelope all the same, and this
    // server's stock handler says so too (its responseMeta, in http-server.ts).
    let contentType = "application/json";
    const write = (status: number, payload: unknown) => {
      // Headers in the order a fetch Headers object iterates them (sorted), as the stock adapter sets
      // them; in one writeHead, which skips setHeader's checks and header map when nothing else set
      // one. A status set before (none today) is kept, as the stock adapter keeps it.
      // The length is given, as Node gives it to a body passed to end() before the headers went out.
      // Encoded once: a string body would be measured here and encoded again on its way out.
      const body = Buffer.from(serialize(payload));
      const headers =
        allow === undefined
          ? { "content-type": contentType, vary: VARY, "content-length": body.length }
          : { allow, "content-type": contentType, vary: VARY, "content-length": body.length };
      res.writeHead(res.statusCode === 200 ? status : res.statusCode, headers);
      res.end(body);
    };

    let type: TRPCProcedureType | "unknown" = "unknown";
    try {
      if (isBatchCall) {
        const types = new Set(calls.map((call) => call.procedure?._def.type).filter((t) => t !== undefined));
        if (types.size > 1) {
          throw new TRPCError({
            code: "BAD_REQUEST",
            message: `Cannot mix procedure types in call: ${[...types].join(", ")}`,
          });
        }
        type = types.values().next().value ?? "unknown";
      } else {
        type = calls[0]!.procedure?._def.type ?? "unknown";
      }
      ctx = options.createContext(req);

      // The request's signal, made for the first call that wants one: aborted when the client
      // leaves before the answer is written.
      let abort: AbortController | undefined;
      const signalFor = (procedure: AnyTRPCProcedure): AbortSignal | undefined => {
        if (!wantsSignal(procedure)) return undefined;
        if (!abort) {
          const controller = (abort = new AbortController());
          res.once("close", () => {
            if (!res.writableEnded) controller.abort();
          });
        }
        return abort.signal;
      };

      const callOne = async (call: Call, batchIndex: number): Promise<CallResult> => {
        const proc = call.procedure;
        try {
          if (!proc) throw new TRPCError({ code: "NOT_FOUND", message: `No procedure found on path "${call.path}"` });
          const procType = proc._def.type;
          if (ACCEPTED_METHOD[procType] !== method) {
            allow = ACCEPTED_METHOD[procType];
            throw new TRPCError({
              code: "METHOD_NOT_SUPPORTED",
              message: `Unsupported ${method}-request to ${procType} procedure at path "${call.path}"`,
            });
          }
          // `signal` only when there is one: tRPC copies every key of these options at each middleware
          // level, and a resolver reads it as undefined either way.
          const callOptions = {
            router,
            path: call.path,
            getRawInput: async () => (await getInputs())[batchIndex],
            ctx,
            type: procType,
            batchIndex,
          } as Parameters<typeof callTRPCProcedure>[0];
          const signal = signalFor(proc);
          if (signal) callOptions.signal = signal;
          const data = await callTRPCProcedure(callOptions);
          return [undefined, { data }];
        } catch (cause) {
          const error = getTRPCErrorFromUnknown(cause);
          options.onError({ error, path: call.path, req });
          return [error, undefined];
        }
      };
      // One call (the common case) without the batch's array of promises.
      const results = isBatchCall ? await Promise.all(calls.map(callOne)) : [await callOne(calls[0]!, 0)];

      contentType = JSON_TYPE;
      if (!isBatchCall) {
        const [error, result] = results[0]!;
        if (isDataStream(result?.data)) {
          throw new TRPCError({
            code: "UNSUPPORTED_MEDIA_TYPE",
            message: "Cannot use stream-like response in non-streaming request - use httpBatchStreamLink",
          });
        }
        const payload = error
          ? { error: shape(error, type, calls[0]!.path, inputOf(0), ctx) }
          : { result: { data: result.data } };
        return write(getHTTPStatusCode([payload] as never, error ? [error] : []), payload);
      }

      const checked: CallResult[] = results.map((entry) =>
        entry[1] && isDataStream(entry[1].data)
          ? [
              new TRPCError({
                code: "UNSUPPORTED_MEDIA_TYPE",
                message: "Cannot use stream-like response in non-streaming request - use httpBatchStreamLink",
              }),
              undefined,
            ]
          : entry,
      );
      const payload = checked.map(([error, result], index) =>
        error
          ? {
              error: shape(
                error,
                calls[index]!.procedure?._def.type ?? "unknown",
                calls[index]!.path,
                inputOf(index),
                ctx,
              ),
            }
          : { result: { data: result.data } },
      );
      return write(
        getHTTPStatusCode(
          payload,
          checked.map(([error]) => error),
        ),
        payload,
      );
    } catch (cause) {
      // A refusal of the request as a whole (mixed types, a stream-like result): one error, no path.
      const error = getTRPCErrorFromUnknown(cause);
      options.onError({ error, path: undefined, req });
      const payload = { error: shape(error, type, undefined, undefined, ctx) };
      return write(getHTTPStatusCode(payload, [error]), payload);
    }
  }
}
