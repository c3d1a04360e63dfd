import { createHash } from "node:crypto";
import type { NextFunction, Request, Response } from "express";
import { Redis } from "ioredis";
import { serveExpressPeer, type AuthenticatedLocals } from "./express-app.ts";
import { peerPort } from "./peer-port.ts";
import type { PublicProfile } from "./session-lookup.ts";

/**
 * Peer (e), the production path of the seed articles: Express 5 with a middleware that finds the
 * session in Redis, one GET of `<prefix><sha256(token)>` holding the session's expiry and the
 * user's public profile as JSON (what such a stack writes at login; the bench writes it from the
 * real server's own answer). No database on the request path.
 */
const TOKEN_PATTERN = /^mpa_[A-Za-z0-9_-]{43}$/;
const BEARER_PATTERN = /^Bearer\s+(\S+)\s*$/i;

export interface RedisSessionEntry {
  expiresAt: string;
  user: PublicProfile;
}

const redisUrl = process.env.BENCH_REDIS_URL;
const prefix = process.env.BENCH_REDIS_PREFIX;
if (!redisUrl || !prefix) {
  console.error("peer: set BENCH_REDIS_URL and BENCH_REDIS_PREFIX");
  process.exit(1);
}
const redis = new Redis(redisUrl, { lazyConnect: false });

function refuse(res: Response, reason: string) {
  res.status(401).json({ error: { code: "UNAUTHORIZED", data: { reason } } });
}

async function requireSession(req: Request, res: Response<unknown, AuthenticatedLocals>, next: NextFunction) {
  const authorization = req.get("authorization")?.trim();
  if (!authorization) return refuse(res, "NO_TOKEN");
  const token = BEARER_PATTERN.exec(authorization)?.[1];
  if (!token || !TOKEN_PATTERN.test(token)) return refuse(res, "MALFORMED_TOKEN");
  const stored = await redis.get(`${prefix}${createHash("sha256").update(token, "utf8").digest("hex")}`);
  if (!stored) return refuse(res, "UNKNOWN_TOKEN");
  const entry = JSON.parse(stored) as RedisSessionEntry;
  if (new Date(entry.expiresAt).getTime() <= Date.now()) return refuse(res, "EXPIRED");
  res.locals.user = entry.user;
  next();
}

serveExpressPeer(peerPort(), requireSession, () => redis.disconnect());
