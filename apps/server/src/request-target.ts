/**
 * The parts of a request target (`req.url`) the server routes on: what a WHATWG `URL` says its
 * pathname and query parameters are, read-only. A `URL` is one.
 */
export interface RequestTarget {
  readonly pathname: string;
  readonly searchParams: Pick<URLSearchParams, "get" | "has">;
}

/**
 * A path `URL` keeps byte for byte: segments of characters outside its path percent-encode set, none
 * of them a dot segment ("." or ".."; a segment may not start with a dot here at all), no "%"
 * (whose "%2e" is a dot too), no empty segment. "/" alone too.
 */
const PLAIN_PATH = /^(?:\/[\w~!$&'()*+,;=:@-][\w.~!$&'()*+,;=:@-]*)+$|^\/$/;
/**
 * A query whose parameters read the same whether `URL` percent-encodes it first or not: no "#"
 * (a fragment), no space, no quote or angle bracket, nothing outside ASCII. (`URL` encodes "'" in
 * the query of an http URL, and URLSearchParams decodes it back: the same parameters.)
 */
const PLAIN_QUERY = /^[\w.~!$&'()*+,;=:@/?%-]*$/;

/** The parameters of a target without a query: nothing there, and nothing to build. */
const NO_PARAMETERS: RequestTarget["searchParams"] = Object.freeze({ get: () => null, has: () => false });

/**
 * The request target's path and query, or undefined when it has no path.
 *
 * Most targets are plain ("/trpc/user.me", "/trpc/notes.list?input=%7B%7D"): read directly, as `URL`
 * would read them, without building a `URL` (Node parses one in C++, about 2% of a cached user.me's
 * CPU). Anything else goes through `new URL`; test/request-target.test.ts checks that both agree.
 *
 * `new URL(target, base)` throws on targets Node's parser lets through ("//", "http://[::1"): thrown
 * inside a request listener, that would end the process. Origin-form ("/path?query") and
 * absolute-form ("http://host/path") are read; anything else ("*", garbage) has no path.
 */
export function parseRequestTarget(target: string | undefined): RequestTarget | undefined {
  if (target === undefined) return undefined;
  const queryStart = target.indexOf("?");
  const path = queryStart === -1 ? target : target.slice(0, queryStart);
  // With its "?": URLSearchParams drops one leading "?", and only that one ("/a??x" has the parameter "?x").
  const query = queryStart === -1 ? "" : target.slice(queryStart);
  if (PLAIN_PATH.test(path) && PLAIN_QUERY.test(query)) {
    return { pathname: path, searchParams: query.length <= 1 ? NO_PARAMETERS : new URLSearchParams(query) };
  }
  try {
    if (target.startsWith("/")) return new URL(`http://localhost${target}`);
    const url = new URL(target);
    return url.protocol === "http:" || url.protocol === "https:" ? url : undefined;
  } catch {
    return undefined;
  }
}
