/**
 * Plain-HTTP calls to the tRPC server, the way another device (or an attacker with a token) would
 * make them: no tRPC client, no batching, so the tests see the raw wire format.
 */

export interface TrpcFailure {
  ok: false;
  httpStatus: number;
  code: string | undefined;
  reason: string | undefined;
  message: string | undefined;
}
export type TrpcResult<T> = { ok: true; data: T } | TrpcFailure;

export async function callTrpc<T>(
  trpcUrl: string,
  kind: "query" | "mutation",
  path: string,
  options: { token?: string; input?: unknown } = {},
): Promise<TrpcResult<T>> {
  const headers: Record<string, string> = {};
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let url = `${trpcUrl}/${path}`;
  const init: RequestInit = { method: kind === "query" ? "GET" : "POST", headers, signal: AbortSignal.timeout(10_000) };
  if (kind === "query" && options.input !== undefined) {
    url += `?input=${encodeURIComponent(JSON.stringify(options.input))}`;
  }
  if (kind === "mutation") {
    headers["content-type"] = "application/json";
    init.body = JSON.stringify(options.input ?? null);
  }
  const response = await fetch(url, init);
  const body = (await response.json()) as {
    result?: { data?: T };
    error?: { message?: string; data?: { code?: string; reason?: string } };
  };
  if (response.ok && body.result) return { ok: true, data: body.result.data as T };
  return {
    ok: false,
    httpStatus: response.status,
    code: body.error?.data?.code,
    reason: body.error?.data?.reason,
    message: body.error?.message,
  };
}

export async function expectOk<T>(result: Promise<TrpcResult<T>>): Promise<T> {
  const settled = await result;
  if (!settled.ok)
    throw new Error(
      `tRPC call failed: HTTP ${settled.httpStatus} ${settled.code} ${settled.reason} ${settled.message}`,
    );
  return settled.data;
}
