import { TRPCClientError } from "@trpc/client";
import type { TaroRequestSuccess } from "./taro-like.ts";
import { TaroRequestError } from "./taro-request-error.ts";

/** Reads a response header by name, whatever its case. */
export function headerOf(answer: Pick<TaroRequestSuccess, "header">, name: string): string | null {
  const headers = answer.header ?? {};
  const wanted = name.toLowerCase();
  for (const key of Object.keys(headers)) {
    if (key.toLowerCase() === wanted) return String(headers[key]);
  }
  return null;
}

/** The body as text: some platforms parse JSON despite dataType "text", which is accepted as it is. */
export function bodyText({ data }: Pick<TaroRequestSuccess, "data">): string {
  return typeof data === "string" ? data : data === undefined || data === null ? "" : JSON.stringify(data);
}

/**
 * Parses the body of an answer to a tRPC HTTP call: `{ result }` or `{ error }`, or (`batch`) an
 * array of them. Anything else (a gateway's HTML page, a proxy's own JSON) throws a
 * `bad_response` TaroRequestError saying what came instead.
 */
export function parseTrpcBody(answer: TaroRequestSuccess, request: string, batch: boolean): unknown {
  const { statusCode, data } = answer;
  const badResponse = (what: string) => {
    const snippet = bodyText(answer).replace(/\s+/g, " ").trim().slice(0, 120);
    const contentType = headerOf(answer, "content-type") ?? "no content-type";
    return new TaroRequestError(
      "bad_response",
      `HTTP ${statusCode} from ${request} is ${what} (${contentType}): ${snippet || "<empty body>"}`,
      statusCode,
    );
  };
  let parsed: unknown = data;
  if (typeof data === "string") {
    try {
      parsed = JSON.parse(data);
    } catch {
      throw badResponse("not JSON");
    }
  }
  const isEnvelope = (item: unknown) =>
    item !== null && typeof item === "object" && ("result" in item || "error" in item);
  // An array is never an envelope itself (no `result` or `error` key).
  const valid = batch && Array.isArray(parsed) ? parsed.length > 0 && parsed.every(isEnvelope) : isEnvelope(parsed);
  if (!valid) throw badResponse("not a tRPC response");
  return parsed;
}

/**
 * Turns the raw answer of ONE tRPC HTTP call made outside the tRPC client (e.g. `Taro.uploadFile`
 * to a multipart procedure, which gives the status code and the body as text) into what the
 * client would give: the procedure's `result.data`, or a thrown `TRPCClientError` carrying the
 * server's `error.data` (reason, action...), so `describeError` and the relogin and retry rules
 * read it like any call's error. A body that is not a tRPC answer throws a `TRPCClientError`
 * whose `cause` is a `bad_response` TaroRequestError. `TData` is the caller's claim, as with
 * tRPC's own client: nothing checks it at runtime.
 *
 * `request` names the call in error messages, e.g. "POST https://api.example.com/trpc/user.uploadAvatar".
 */
export function readTrpcResponse<TData = unknown>(answer: TaroRequestSuccess, request = "a tRPC call"): TData {
  // A valid single envelope without `error` has a `result`.
  let envelope: { result: { data: unknown }; error?: unknown };
  try {
    envelope = parseTrpcBody(answer, request, false) as typeof envelope;
  } catch (error) {
    throw TRPCClientError.from(error as Error);
  }
  if (envelope.error) throw TRPCClientError.from(envelope);
  return envelope.result.data as TData;
}
