import type http from "node:http";
import { isIP } from "node:net";
import type { TLSSocket } from "node:tls";
import proxyAddr from "proxy-addr";
import { z } from "zod";

/**
 * Who is on the other end of a request, when reverse proxies stand in between.
 *
 * `X-Forwarded-For` is a list every proxy APPENDS to: "client, proxy1, proxy2". Its left end is
 * whatever the client chose to send, so taking the leftmost entry (what this server did, and what
 * Express does with `trust proxy = true`) lets anyone rotate a fake first entry past the per-IP
 * login limit and into the device list. The only entries worth believing are the ones our own
 * proxies wrote: we walk the list from the RIGHT, skipping addresses we trust, and the first one we
 * do not trust is the client. `proxy-addr` (what Express uses) does that walk and the CIDR math.
 *
 * TRUST_PROXY, decided here:
 * - `false` / `0` / unset: no proxy; the socket's peer is the client, forwarded headers are ignored.
 * - a hop count `1`, `2`...: that many proxies stand in front (1 = one load balancer or nginx).
 * - `true`: ONE hop. Express reads `true` as "trust every hop", which is the leftmost-entry bug; a
 *   deployment that set `TRUST_PROXY=true` before meant "behind my proxy", so it keeps working, safely.
 * - a comma list of proxy addresses, CIDRs and the names `loopback`, `linklocal`, `uniquelocal`
 *   (e.g. `loopback, 10.0.0.0/8`): every hop whose address is listed is a proxy. Use this when the
 *   number of hops varies (a CDN in front of some requests only).
 */
export interface ProxyTrust {
  /** The setting as understood, for the start-up log line (e.g. "1 hop", "loopback, 10.0.0.0/8"). */
  readonly description: string;
  /** proxy-addr's trust function: is the hop at `hopIndex` (0 = the socket's peer) one of our proxies? */
  readonly isTrusted: (address: string, hopIndex: number) => boolean;
}

export const NO_PROXY_TRUST: ProxyTrust = { description: "none", isTrusted: () => false };

const PROXY_NAMES = ["loopback", "linklocal", "uniquelocal"];
const MAX_HOPS = 32;

function hopTrust(hops: number): ProxyTrust {
  if (hops === 0) return NO_PROXY_TRUST;
  return {
    description: hops === 1 ? "1 hop" : `${hops} hops`,
    isTrusted: (_address, hopIndex) => hopIndex < hops,
  };
}

export type ParsedProxyTrust = { ok: true; trust: ProxyTrust } | { ok: false; message: string };

/** Reads a TRUST_PROXY value; a bad one gets a message naming the entry and the accepted forms. */
export function parseTrustProxy(raw: string | undefined): ParsedProxyTrust {
  const value = (raw ?? "").trim();
  const lower = value.toLowerCase();
  if (lower === "" || lower === "false") return { ok: true, trust: NO_PROXY_TRUST };
  if (lower === "true") return { ok: true, trust: hopTrust(1) };
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    if (hops > MAX_HOPS) {
      return { ok: false, message: `a hop count must be 0..${MAX_HOPS} (got ${hops}); list proxy addresses instead` };
    }
    return { ok: true, trust: hopTrust(hops) };
  }
  const entries = value
    .split(",")
    .map((entry) => entry.trim())
    .filter(Boolean);
  for (const entry of entries) {
    // Checked one by one so the message names the bad entry; compile() below says only "invalid".
    const [address, prefix, ...rest] = entry.split("/");
    const namedProxy = PROXY_NAMES.includes(entry.toLowerCase());
    const validAddress = isIP(address ?? "") !== 0 && rest.length === 0;
    const validPrefix = prefix === undefined || /^\d{1,3}$/.test(prefix) || isIP(prefix) === 4;
    if (!namedProxy && !(validAddress && validPrefix)) {
      return {
        ok: false,
        message: `"${entry}" is not a proxy address: use false, a hop count (1, 2...), or a comma list of IP addresses, CIDRs (10.0.0.0/8) and ${PROXY_NAMES.join(" / ")}`,
      };
    }
  }
  const normalized = entries.map((entry) => (PROXY_NAMES.includes(entry.toLowerCase()) ? entry.toLowerCase() : entry));
  try {
    return { ok: true, trust: { description: normalized.join(", "), isTrusted: proxyAddr.compile(normalized) } };
  } catch (error) {
    // e.g. a prefix longer than the address family allows (10.0.0.0/33).
    return { ok: false, message: `${(error as Error).message} (in "${value}")` };
  }
}

/**
 * The zod form, for the server's env schema: `TRUST_PROXY: trustProxySchema`. Unset means no proxy.
 * The value is never echoed beyond the entry at fault (it holds addresses, not secrets).
 */
export const trustProxySchema = z
  .string()
  .optional()
  .transform((value, ctx): ProxyTrust => {
    const parsed = parseTrustProxy(value);
    if (parsed.ok) return parsed.trust;
    ctx.addIssue({ code: "custom", message: parsed.message });
    return z.NEVER;
  });

/** `::ffff:203.0.113.7` and `203.0.113.7` are one client: one rate-limit bucket, one form in the device list. */
function withoutIpv4Mapping(address: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  return mapped ? mapped[1]! : address;
}

/**
 * The hops of a request from the server outwards: [socket peer, trusted proxies..., client]. The
 * last one is the client: the first address, walking `X-Forwarded-For` from the right, that is not
 * one of our proxies (or the leftmost one when every hop is trusted).
 */
function trustedChain(req: http.IncomingMessage, trust: ProxyTrust): string[] {
  // A socket that already closed has no peer address; proxy-addr would read `undefined` as an address.
  if (!req.socket.remoteAddress) return [];
  return proxyAddr.all(req, trust.isTrusted);
}

/**
 * The client's IP address for rate limits, logs and the device list; undefined only when the
 * socket is already gone. A forwarded entry that is not an IP address (`unknown`, a hostname, junk)
 * is not believed: the proxy that passed it on is named instead.
 */
export function clientAddress(req: http.IncomingMessage, trust: ProxyTrust): string | undefined {
  const chain = trustedChain(req, trust);
  for (let index = chain.length - 1; index >= 0; index--) {
    const address = chain[index]!;
    if (isIP(address) !== 0) return withoutIpv4Mapping(address);
  }
  return undefined;
}

/**
 * The scheme the client used, `http` or `https`, for absolute URLs the server hands out.
 * `X-Forwarded-Proto` is read only when the socket's peer is a trusted proxy, and from the right like
 * `X-Forwarded-For`: with N trusted hops before the client, the Nth entry from the right is the one
 * written by the proxy that spoke to the client. A proxy that overwrites the header leaves one entry,
 * which is then taken. Anything but http/https is ignored.
 */
export function clientProtocol(req: http.IncomingMessage, trust: ProxyTrust): "http" | "https" {
  const socketProtocol = (req.socket as Partial<TLSSocket>).encrypted ? "https" : "http";
  const chain = trustedChain(req, trust);
  if (chain.length === 0 || !trust.isTrusted(chain[0]!, 0)) return socketProtocol;
  // The peer is our proxy; with no X-Forwarded-For at all it is still one hop.
  const trustedHops = Math.max(1, chain.length - 1);
  const header = req.headers["x-forwarded-proto"];
  const entries = (Array.isArray(header) ? header.join(",") : (header ?? ""))
    .split(",")
    .map((entry) => entry.trim().toLowerCase())
    .filter(Boolean);
  if (entries.length === 0) return socketProtocol;
  const entry = entries[Math.max(0, entries.length - trustedHops)];
  return entry === "https" || entry === "http" ? entry : socketProtocol;
}
