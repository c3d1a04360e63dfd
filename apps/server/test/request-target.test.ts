import { describe, expect, it } from "vitest";
import { parseRequestTarget, type RequestTarget } from "../src/request-target.ts";

/** What WHATWG URL reads from a target, as the server read every target before it parsed plain ones itself. */
function byUrl(target: string): { pathname: string; parameters: [string, string][] } | undefined {
  try {
    const url = target.startsWith("/") ? new URL(`http://localhost${target}`) : new URL(target);
    if (url.protocol !== "http:" && url.protocol !== "https:") return undefined;
    return { pathname: url.pathname, parameters: [...url.searchParams] };
  } catch {
    return undefined;
  }
}

function read(target: RequestTarget | undefined) {
  if (!target) return undefined;
  const { searchParams } = target;
  // A parsed query is a URLSearchParams (a URL's, or built from the query); no query reads as none.
  const parameters: [string, string][] = searchParams instanceof URLSearchParams ? [...searchParams] : [];
  if (!(searchParams instanceof URLSearchParams)) expect(searchParams.has("input")).toBe(false);
  return { pathname: target.pathname, parameters };
}

/** A reproducible sequence (mulberry32), so a failing target can be found again. */
function randomSource(seed: number) {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = [
  "/",
  "/",
  "/",
  ".",
  "..",
  "trpc",
  "user.me",
  "a",
  "Z9",
  "_",
  "-",
  "~",
  "%",
  "%2e",
  "%2E",
  "%7B",
  "?",
  "?",
  "#",
  "&",
  "=",
  "+",
  "'",
  '"',
  " ",
  "<",
  ">",
  "\\",
  ",",
  ";",
  ":",
  "@",
  "!",
  "$",
  "(",
  ")",
  "*",
  "é",
  "[",
  "]",
  "{",
  "}",
  "|",
  "^",
  "`",
  "input=",
  "batch=1",
];

describe("parseRequestTarget", () => {
  it("reads plain targets without building a URL, as URL reads them", () => {
    for (const target of ["/trpc/user.me", "/", "/trpc/a,b?batch=1&input=%7B%220%22%3A1%7D", "/healthz?x='y'"]) {
      const parsed = parseRequestTarget(target);
      expect(parsed, target).not.toBeInstanceOf(URL);
      expect(read(parsed), target).toEqual(byUrl(target));
    }
  });

  it("leaves every other target to URL: dot segments, percent signs, fragments, absolute form, garbage", () => {
    const cases = [
      "/a/./b",
      "/a/../b",
      "/.well-known/x",
      "/a//b",
      "/a/",
      "/%2e%2e/x",
      "/a?x#frag",
      "/a b",
      "//x",
      "*",
      "http://h/x?y=1",
      "ftp://h/x",
      "http://[::1",
    ];
    for (const target of cases) {
      expect(read(parseRequestTarget(target)), target).toEqual(byUrl(target));
    }
    expect(parseRequestTarget("/a/../b")?.pathname).toBe("/b");
    expect(parseRequestTarget("*")).toBeUndefined();
    expect(parseRequestTarget(undefined)).toBeUndefined();
  });

  it("agrees with URL on thousands of generated targets", () => {
    const random = randomSource(12);
    let plain = 0;
    for (let index = 0; index < 20_000; index++) {
      const length = 1 + Math.floor(random() * 8);
      let target = random() < 0.9 ? "/" : "";
      for (let piece = 0; piece < length; piece++) target += PIECES[Math.floor(random() * PIECES.length)];
      const parsed = parseRequestTarget(target);
      if (parsed && !(parsed instanceof URL)) plain++;
      expect(read(parsed), JSON.stringify(target)).toEqual(byUrl(target));
    }
    // Both branches were exercised, many times.
    expect(plain).toBeGreaterThan(1000);
  });
});
