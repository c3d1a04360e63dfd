import type { ApiLogger } from "../../context.ts";
import type { SessionCache, SessionCacheEntry, SessionCacheLookup } from "../../services/session-cache.ts";
import type { RedisConnection } from "./connection.ts";
import { defineScript } from "./scripts.ts";

/**
 * The session cache on Redis. Why it can never accept a token the database refuses:
 *
 * Keys (all under the connection's prefix):
 *   session:<tokenHash>       "<epoch>\n<json entry>", TTL = min(the session's remaining life, maxEntryTtlMs)
 *   session-user:<userId>     set of the user's cached token hashes (for per-user invalidation)
 *   session-mark:<userId>     the sequence number of the user's latest invalidation (TTL markTtlMs)
 *   session-seq               invalidation counter
 *   session-epoch             entries written under an older epoch are ignored
 *   session-touch:<tokenHash> exists while the session's lastUsedAt is recent enough
 *
 * 1. Invalidation (after the database commit): ONE Lua script increments session-seq to m, sets
 *    session-mark:<user> = m, and deletes every entry listed in session-user:<user>. Once it
 *    returns, no entry of the user exists.
 * 2. A miss cannot re-populate a stale entry: `lookup` reads session-seq (s0), the epoch (e0) and
 *    Redis's clock (t0) in the same atomic script as the entry, BEFORE the database read.
 *    `remember` writes only if, atomically, mark(user) <= s0 (no invalidation since the lookup),
 *    the epoch is still e0, and less than POPULATE_DEADLINE_MS passed on Redis's clock since t0.
 *    If an invalidation's mark m > s0, the reader's database read may predate the commit: refused.
 *    If m <= s0, the reader read the counter after the mark was written, hence after the commit,
 *    so its database read saw the change. Marks live markTtlMs (60 s), far beyond the deadline
 *    (10 s, measured on Redis's own clock, so neither a slow instance nor clock skew can stretch it).
 *    This replaces per-token tombstones: one per-user mark covers logout, revoke (known by session
 *    id only), logoutAll and profile changes alike.
 * 3. Outages: an invalidation that fails (Redis unreachable or erroring) cannot be written later
 *    with any guarantee, so instead the instance stops trusting the cache (lookups go to the
 *    database, nothing is cached) until it has bumped session-epoch, which voids EVERY entry written
 *    before. The bump happens on every (re)connect, before the first cached read, and after any
 *    failed invalidation. Bumping on every connect also covers a Redis restarted with persistence
 *    (old entries come back from disk) and an instance that died with an invalidation pending.
 *    Replaying the lost invalidations as marks would add nothing: the bump is strictly stronger.
 *
 * The remaining window: a network partition where THIS instance cannot reach Redis but another can.
 * A logout here commits in the database, its invalidation fails, and the other instance keeps
 * answering from a cached entry until this instance reaches Redis again (reconnects are retried
 * every 2 s at most) and bumps the epoch, or the entry expires. maxEntryTtlMs (default 10 minutes)
 * bounds that window; it costs one database read per active token per 10 minutes. When Redis is
 * down for everyone, nobody reads the cache, so there is no window.
 *
 * Needs a standalone (or Sentinel) Redis, not Cluster: the invalidation script deletes keys it
 * finds in the set. Use `maxmemory-policy noeviction` (or volatile-*): evicting a mark early is the
 * only way to shorten rule 2.
 */
export interface RedisSessionCacheOptions {
  logger: ApiLogger;
  /** Upper bound of an entry's TTL (see the window above). Default 10 minutes. */
  maxEntryTtlMs?: number;
  /** How long a session's lastUsedAt may lag; matches sessions.ts. Default 60 s. */
  lastUsedResolutionMs?: number;
}

export interface RedisSessionCache extends SessionCache {
  /** True once the epoch was bumped since the last (re)connect: cached reads are trusted. */
  isUsable(): boolean;
  /** Resolves true once usable, false after `timeoutMs`. */
  waitUntilUsable(timeoutMs: number): Promise<boolean>;
  close(): void;
}

const DEFAULT_MAX_ENTRY_TTL_MS = 10 * 60_000;
const DEFAULT_LAST_USED_RESOLUTION_MS = 60_000;
const POPULATE_DEADLINE_MS = 10_000;
const MARK_TTL_MS = 60_000;
const BUMP_RETRY_MS = 1000;

const LOOKUP = defineScript(
  "mpAuthSessionLookup",
  4,
  `
local entry = redis.call('GET', KEYS[1])
local epoch = redis.call('GET', KEYS[2]) or '0'
local seq = redis.call('GET', KEYS[3]) or '0'
local t = redis.call('TIME')
local nowMs = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local touch = 0
if entry then
  if string.match(entry, '^(%d+)\\n') ~= epoch then
    entry = false
  elseif redis.call('SET', KEYS[4], '1', 'PX', ARGV[1], 'NX') then
    touch = 1
  end
end
return { entry or '', epoch, seq, tostring(nowMs), touch }
`,
);

const REMEMBER = defineScript(
  "mpAuthSessionRemember",
  5,
  `
local t = redis.call('TIME')
local nowMs = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if nowMs - tonumber(ARGV[5]) > tonumber(ARGV[6]) then return 0 end
if (redis.call('GET', KEYS[2]) or '0') ~= ARGV[3] then return 0 end
local mark = redis.call('GET', KEYS[3])
if mark and tonumber(mark) > tonumber(ARGV[4]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('SADD', KEYS[4], ARGV[8])
if redis.call('PTTL', KEYS[4]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[4], ARGV[2]) end
if tonumber(ARGV[7]) > 0 then redis.call('SET', KEYS[5], '1', 'PX', ARGV[7], 'NX') end
return 1
`,
);

const INVALIDATE_USER = defineScript(
  "mpAuthSessionInvalidateUser",
  3,
  `
local m = redis.call('INCR', KEYS[1])
redis.call('SET', KEYS[2], m, 'PX', ARGV[2])
local hashes = redis.call('SMEMBERS', KEYS[3])
for _, h in ipairs(hashes) do redis.call('DEL', ARGV[1] .. h) end
redis.call('DEL', KEYS[3])
return #hashes
`,
);

const keys = {
  entry: (tokenHash: string) => `session:${tokenHash}`,
  touch: (tokenHash: string) => `session-touch:${tokenHash}`,
  userIndex: (userId: string) => `session-user:${userId}`,
  mark: (userId: string) => `session-mark:${userId}`,
  seq: "session-seq",
  epoch: "session-epoch",
};

interface StoredEntry {
  sessionId: string;
  expiresAt: string;
  user: {
    id: string;
    appid: string;
    nickname: string | null;
    avatarUrl: string | null;
    phoneNumber: string | null;
    createdAt: string;
    lastLoginAt: string;
  };
}

export function createRedisSessionCache(
  connection: RedisConnection,
  options: RedisSessionCacheOptions,
): RedisSessionCache {
  const { client } = connection;
  const { logger } = options;
  const maxEntryTtlMs = options.maxEntryTtlMs ?? DEFAULT_MAX_ENTRY_TTL_MS;
  const lastUsedResolutionMs = options.lastUsedResolutionMs ?? DEFAULT_LAST_USED_RESOLUTION_MS;
  const lookupScript = LOOKUP.on(client);
  const rememberScript = REMEMBER.on(client);
  const invalidateScript = INVALIDATE_USER.on(client);

  let usable = false;
  /** Changes whenever trust is withdrawn, so a bump that started earlier cannot restore it. */
  let generation = 0;
  let retryTimer: NodeJS.Timeout | undefined;
  let closed = false;
  /** One log line per period of trust, not one per failed call. */
  let failureLogged = false;
  const usableWaiters = new Set<() => void>();

  const distrust = () => {
    generation++;
    usable = false;
  };

  const bumpEpoch = async () => {
    const started = generation;
    if (closed || connection.status() !== "up") return;
    try {
      await client.incr(keys.epoch);
      if (started !== generation || closed) return;
      usable = true;
      failureLogged = false;
      for (const wake of usableWaiters) wake();
    } catch {
      if (started === generation) scheduleBump();
    }
  };

  const scheduleBump = () => {
    if (closed || retryTimer) return;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      void bumpEpoch();
    }, BUMP_RETRY_MS);
    retryTimer.unref();
  };

  connection.onStatusChange((status) => {
    distrust();
    if (status === "up") void bumpEpoch();
  });
  if (connection.status() === "up") void bumpEpoch();

  const reportFailure = (what: string, error: unknown) => {
    // While Redis is down the connection has logged the outage once; stay quiet here.
    if (failureLogged || connection.status() !== "up") return;
    failureLogged = true;
    logger.warn({ redisError: error instanceof Error ? error.message : String(error) }, what);
  };

  const miss: SessionCacheLookup = { entry: undefined, lastUsedWriteDue: false, remember: async () => {} };

  return {
    async lookup(tokenHash) {
      if (!usable) return miss;
      let reply: [string, string, string, string, number];
      try {
        reply = (await lookupScript(
          [keys.entry(tokenHash), keys.epoch, keys.seq, keys.touch(tokenHash)],
          [lastUsedResolutionMs],
        )) as typeof reply;
      } catch (error) {
        reportFailure("session cache lookup failed: checking the database", error);
        return miss;
      }
      const [raw, epoch, seq, redisNowMs, touch] = reply;
      const entry = raw ? parseEntry(raw) : undefined;
      if (entry) return { entry, lastUsedWriteDue: touch === 1, remember: miss.remember };
      return {
        entry: undefined,
        lastUsedWriteDue: false,
        async remember(fresh: SessionCacheEntry, facts: { lastUsedAt: Date; now: Date }) {
          const remainingMs = fresh.expiresAt.getTime() - facts.now.getTime();
          const ttlMs = Math.min(remainingMs, maxEntryTtlMs);
          if (ttlMs <= 0 || !usable) return;
          const touchTtlMs = lastUsedResolutionMs - (facts.now.getTime() - facts.lastUsedAt.getTime());
          try {
            await rememberScript(
              [
                keys.entry(tokenHash),
                keys.epoch,
                keys.mark(fresh.user.id),
                keys.userIndex(fresh.user.id),
                keys.touch(tokenHash),
              ],
              [
                `${epoch}\n${serialiseEntry(fresh)}`,
                Math.ceil(ttlMs),
                epoch,
                seq,
                redisNowMs,
                POPULATE_DEADLINE_MS,
                Math.max(0, Math.floor(touchTtlMs)),
                tokenHash,
              ],
            );
          } catch (error) {
            // Not cached: the next call reads the database again. Nothing to undo.
            reportFailure("session cache write failed", error);
          }
        },
      };
    },

    async invalidateUser(userId) {
      try {
        await invalidateScript(
          [keys.seq, keys.mark(userId), keys.userIndex(userId)],
          [`${connection.keyPrefix}${keys.entry("")}`, MARK_TTL_MS],
        );
      } catch (error) {
        // The database already changed; the cache may still hold the user's entries. Stop trusting
        // it here and void every entry (epoch bump) as soon as Redis answers again.
        distrust();
        reportFailure("session cache invalidation failed: the cache is bypassed until Redis answers again", error);
        scheduleBump();
      }
    },

    isUsable: () => usable,
    waitUntilUsable: (timeoutMs) =>
      new Promise((resolve) => {
        if (usable) return resolve(true);
        const wake = () => {
          clearTimeout(timer);
          usableWaiters.delete(wake);
          resolve(true);
        };
        const timer = setTimeout(() => {
          usableWaiters.delete(wake);
          resolve(false);
        }, timeoutMs);
        usableWaiters.add(wake);
      }),
    close() {
      closed = true;
      distrust();
      if (retryTimer) clearTimeout(retryTimer);
    },
  };
}

function serialiseEntry(entry: SessionCacheEntry): string {
  const stored: StoredEntry = {
    sessionId: entry.sessionId,
    expiresAt: entry.expiresAt.toISOString(),
    user: {
      id: entry.user.id,
      appid: entry.user.appid,
      nickname: entry.user.nickname,
      avatarUrl: entry.user.avatarUrl,
      phoneNumber: entry.user.phoneNumber,
      createdAt: entry.user.createdAt.toISOString(),
      lastLoginAt: entry.user.lastLoginAt.toISOString(),
    },
  };
  return JSON.stringify(stored);
}

/** An entry we cannot read (written by another version) is a miss, never an error. */
function parseEntry(raw: string): SessionCacheEntry | undefined {
  try {
    const stored = JSON.parse(raw.slice(raw.indexOf("\n") + 1)) as StoredEntry;
    const entry: SessionCacheEntry = {
      sessionId: stored.sessionId,
      expiresAt: new Date(stored.expiresAt),
      user: {
        ...stored.user,
        createdAt: new Date(stored.user.createdAt),
        lastLoginAt: new Date(stored.user.lastLoginAt),
      },
    };
    // An entry without the user's appid (written before apps were checked) is a miss: the database answers.
    if (
      typeof entry.sessionId !== "string" ||
      typeof entry.user.id !== "string" ||
      typeof entry.user.appid !== "string"
    )
      return undefined;
    if (Number.isNaN(entry.expiresAt.getTime()) || Number.isNaN(entry.user.lastLoginAt.getTime())) return undefined;
    return entry;
  } catch {
    return undefined;
  }
}
