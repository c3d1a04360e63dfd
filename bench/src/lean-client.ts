import http from "node:http";

/**
 * The login figures' HTTP client: node:http on kept-alive connections. `fetch` (undici) spent about
 * a millisecond of its own per POST here, all of it counted as "server time" (round trip minus the
 * WeChat call); this client costs a fraction of that, so the figure is mostly the server's. The
 * loopback probe uses the same client, so what it adds is known.
 */
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

function request(url: string, method: "GET" | "POST", body?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method,
        agent,
        headers:
          body === undefined ? {} : { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** POSTs a tRPC mutation; returns `result.data` or throws with the answer. */
export async function postMutation<T>(baseUrl: string, procedure: string, input: unknown): Promise<T> {
  const { status, text } = await request(`${baseUrl}/trpc/${procedure}`, "POST", JSON.stringify(input));
  if (status !== 200) throw new Error(`${procedure} answered ${status}: ${text}`);
  return (JSON.parse(text) as { result: { data: T } }).result.data;
}

export async function getStatus(url: string): Promise<number> {
  return (await request(url, "GET")).status;
}

/** Lets the process exit: the kept-alive sockets would hold it. */
export function closeLeanClient(): void {
  agent.destroy();
}
