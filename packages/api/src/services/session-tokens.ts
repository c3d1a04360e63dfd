import { randomBytes } from "node:crypto";
import { sha256Hex } from "./digest.ts";

/**
 * Session tokens: `mpa_` + 32 random bytes in base64url (256 bits). The prefix lets secret scanners
 * and log reviewers recognise a leaked token; only the SHA-256 of a token is stored, so a database
 * dump cannot be replayed. SHA-256 (not a slow hash) is right here: the token is random and long,
 * nothing to brute-force.
 */
const TOKEN_PREFIX = "mpa_";
const TOKEN_PATTERN = /^mpa_[A-Za-z0-9_-]{43}$/;

export function createSessionToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString("base64url");
}

export function isWellFormedSessionToken(token: string): boolean {
  return TOKEN_PATTERN.test(token);
}

export function hashSessionToken(token: string): string {
  return sha256Hex(token);
}

const BEARER = /^Bearer\s+(\S+)$/i;

/** Reads `Authorization: Bearer <token>`; undefined when the header is absent or empty. */
export function readBearerToken(authorization: string | undefined): { token?: string; present: boolean } {
  const value = authorization?.trim();
  if (!value) return { present: false };
  const match = BEARER.exec(value);
  return match ? { token: match[1], present: true } : { present: true };
}
