// The Redis activity store: each sign-in's clock in one Redis hash, checked and updated by one
// atomic Lua script per request on Redis's own clock, so every instance of the app agrees.
// Must not: import a Redis client at runtime (both are optional peers), wait on a client's offline
// queue, or sign anybody out because Redis failed (it rejects; the lifecycle answers 503).

import { createHash } from 'node:crypto';
import {
  aFunction,
  aLogger,
  type CheckedOption,
  type CheckedOptions,
  checkOptions,
  matching,
  milliseconds,
  satisfying,
  seconds,
} from '../core/checks.js';
import {
  describeValue,
  SessionSecurityConfigError,
  SessionStoreUnavailableError,
} from '../core/errors.js';
import type { Logger } from '../core/options.js';
import {
  activityStepMs,
  deadlineOf,
  MAX_ACTIVITY_STEP_MS,
  MAX_TIMEOUT_MS,
  MIN_WRITE_INTERVAL_MS,
  randomId,
  readFacts,
  type SecurityState,
  type SignInFacts,
  type Timeouts,
  timeoutsOf,
} from '../core/policy.js';
import {
  type ActivityStore,
  type Held,
  type LeaseRequest,
  MAX_LEASES_PER_SIGN_IN,
  type RevokeTarget,
  type SessionAccess,
  type SignInRecord,
  type SweptSignIn,
  type Touch,
} from '../core/store.js';
import type { EndReason } from '../core/tombstones.js';
import { RecordCache } from './redis-cache.js';

/** The part of an ioredis client (`new Redis()`) the store uses. */
export interface IoredisClient {
  readonly status: string;
  evalsha(sha: string, numKeys: number, ...keysAndArgs: string[]): Promise<unknown>;
  eval(script: string, numKeys: number, ...keysAndArgs: string[]): Promise<unknown>;
  info?(section: string): Promise<unknown>;
  on?(event: string, listener: () => void): unknown;
}

/** The part of a node-redis v5 client (`createClient()`) the store uses. */
export interface NodeRedisClient {
  readonly isReady: boolean;
  evalSha(sha: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  info?(section: string): Promise<unknown>;
  on?(event: string, listener: () => void): unknown;
}

/** The part of a node-redis v5 Cluster client (`createCluster()`) the store uses. */
export interface NodeRedisClusterClient {
  readonly isOpen: boolean;
  readonly masters: unknown;
  evalSha(sha: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  info?(section: string): Promise<unknown>;
  on?(event: string, listener: () => void): unknown;
}

/**
 * A connected Redis client, told apart by shape: ioredis 5 (`new Redis(url)`, `new Redis({
 * sentinels, name })`, `new Cluster(nodes)`) or node-redis 5 (`createClient`, `createSentinel`,
 * `createCluster`, connected).
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 * const client: RedisClient = new Redis(process.env.REDIS_URL!);
 * ```
 */
export type RedisClient = IoredisClient | NodeRedisClient | NodeRedisClusterClient;

/**
 * The options of {@link redisStore}.
 *
 * @example
 * ```ts
 * const options: RedisStoreOptions = { client, prefix: 'myapp:signins:', graceSeconds: 600 };
 * ```
 */
export interface RedisStoreOptions {
  /** A connected ioredis 5 or node-redis 5 client: one server, Sentinel or Cluster. Required. */
  client: RedisClient;
  /** The start of every key, a non-empty string without whitespace. Default `'session-security:'`. */
  prefix?: string;
  /** Milliseconds a store operation may take before it fails (and the request gets a 503). Default 1000. */
  commandTimeout?: number;
  /**
   * Seconds a record outlives its deadline, so that the next request can still tell an idle from
   * an absolute expiry, and a sign-out from an expiry. Default 3600.
   */
  graceSeconds?: number;
  /** A clock in milliseconds, for tests only. Default: Redis's own clock (`TIME`), the same for every instance. */
  now?: () => number;
  /** Where warnings and errors go. Default `console`. */
  logger?: Logger;
  /**
   * A second connection to the same Redis (`client.duplicate()`, connected), which the store
   * subscribes to hear sign-outs. With it, this process keeps a copy of each active sign-in's
   * record and answers most of its requests without a round trip, writing activity once a
   * step (a hundredth of `expireAfter`, 1 s to 15 s); a sign-out or revocation anywhere reaches
   * it within milliseconds, and within `cacheBound` at worst (docs/guide/redis.md: Several
   * instances: the Redis store). Without it, every request of a signed-in session runs one script.
   * Not with a Cluster client (its shards publish sign-outs in no order between them). Optional.
   */
  subscriber?: RedisClient;
  /**
   * With a subscriber: milliseconds this process may go on answering from its copies since it
   * last proved it has heard every sign-out (a heartbeat through the subscription, sent four
   * times per bound). When Redis stalls or the subscription drops, copies stop being used after
   * this long. Default 1000.
   */
  cacheBound?: number;
  /**
   * Replicas that must hold a sign-out, revocation or "end all" before it is acknowledged
   * (`WAIT`, 250 ms at most: it holds its connection): a failover then cannot lose it. When fewer
   * acknowledge in time, the request fails (503), ends are refused at once for a second, and the
   * client tries the sign-out again; this process refuses the sign-in meanwhile. An expiry needs none: a record that lost its end expires again at its
   * next request. With node-redis's `createSentinel`, keep `masterPoolSize` at 1: `WAIT` counts the
   * writes of its own connection. Default 0 (no wait).
   */
  waitReplicas?: number;
}

const DEFAULT_PREFIX = 'session-security:';
const DEFAULT_COMMAND_TIMEOUT_MS = 1000;
const DEFAULT_GRACE_SECONDS = 3600;
const DEFAULT_CACHE_BOUND_MS = 1000;
/**
 * How fast the bound on this process's estimate of Redis's clock grows with its age: 10 ms a
 * second, so a reply with a round trip 20 ms longer than the estimate's replaces it after 1 s.
 */
const CLOCK_ERROR_GROWTH = 0.01;
/** Copies of records kept at most: a sign-in whose copy was dropped costs one round trip. */
const MAX_CACHED = 100_000;
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The options of redisStore, each checked by the checkers every entry shares (src/core/checks.ts). */
const REDIS_OPTIONS = {
  client: { check: commandsOf, required: true },
  prefix: {
    check: matching(
      /^\S+$/,
      'a non-empty string without whitespace, such as "myapp:session-security:"',
    ),
    default: DEFAULT_PREFIX,
  },
  commandTimeout: {
    check: milliseconds(
      { value: MAX_TIMER_MS, note: 'the longest timer' },
      DEFAULT_COMMAND_TIMEOUT_MS,
    ),
    default: DEFAULT_COMMAND_TIMEOUT_MS,
  },
  graceSeconds: {
    check: seconds({ example: DEFAULT_GRACE_SECONDS }),
    default: DEFAULT_GRACE_SECONDS,
  },
  now: {
    check: aFunction<() => number>(
      "returning milliseconds (for tests), or be left out to use Redis's clock",
    ),
  },
  logger: { check: aLogger, default: console },
  subscriber: { check: subscriptionOf },
  cacheBound: {
    check: milliseconds({ value: 60_000, note: 'a minute' }, DEFAULT_CACHE_BOUND_MS),
    default: DEFAULT_CACHE_BOUND_MS,
  },
  waitReplicas: {
    check: satisfying<number>(
      (value) => typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 64,
      'a whole number of replicas from 0 to 64',
    ),
    default: 0,
  },
} satisfies { readonly [K in keyof RedisStoreOptions]-?: CheckedOption<unknown> };

const END_REASONS: readonly string[] = [
  'idle',
  'absolute',
  'logout',
  'revoked',
  'lost',
] satisfies EndReason[];
/** How long a sign-out is kept in memory to be recorded again after Redis lost its last writes. */
const RECENT_END_MS = 10_000;
/** At most this many of them (the oldest go first). */
const MAX_RECENT_ENDS = 100_000;
/** Markers read or ended per round of a walk over an index (a user's sign-ins, due sign-ins). */
const BATCH = 200;
/**
 * Live sign-ins are listed by when they are due, in buckets of this width, each split in
 * {@link DUE_SHARDS} sets: no key lists every sign-in, and each set gets a minute's sign-ins
 * of a sixteenth of the markers (docs/guide/redis.md: Several instances).
 */
const DUE_BUCKET_MS = 60_000;
const DUE_SHARDS = 16;
/**
 * A sign-in is listed at its deadline, or this far ahead at most (a longer one is read then and
 * listed again): the list of buckets stays about an hour long, and so does "end everyone"'s walk.
 */
const DUE_HORIZON_MS = 3_600_000;
/** The longest a WAIT for replicas may hold its connection. */
const MAX_WAIT_MS = 250;
/** After replicas failed a WAIT, ends are refused without one for this long. */
const REPLICAS_RETRY_MS = 1000;
/** Buckets a process remembers having listed (then it forgets them all: one more ZADD each). */
const MAX_BUCKETS_ADDED = 1000;
/**
 * A bucket this process listed is listed again after this long (a ZADD per bucket and process
 * every 10 s at most): the list of minutes may have gone with the rest of Redis's data.
 */
const BUCKET_READD_MS = 10_000;
/** The due bucket of a time. */
const bucketOf = (ms: number) => Math.floor(ms / DUE_BUCKET_MS);

// Every script touches exactly one key, passed in KEYS (a sign-in's hash, an index, the mark), so a
// Cluster client routes it to that key's node without hash tags; a script a node does not hold yet
// runs there by its text (EVAL, keyed), never through SCRIPT LOAD, which names no key. Times are
// milliseconds, in as strings and out as integer replies or '%.17g' strings, both exact, so the
// script computes exactly what decide() does.

/** Lua for activityStepMs of a sign-in whose expireAfter is the expression `expireAfter`: the same rounding. */
function luaStepOf(expireAfter: string): string {
  return `math.min(${MAX_ACTIVITY_STEP_MS}, math.max(${MIN_WRITE_INTERVAL_MS}, math.floor(${expireAfter} / 100 + 0.5)))`;
}

const PRELUDE = `
local key = KEYS[1]
local now = tonumber(ARGV[1])
if not now then
  local time = redis.call('TIME')
  now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end
local function fmt(n) return string.format('%.17g', n) end
local function ttl(deadline) return math.ceil(deadline - now + tonumber(ARGV[2])) end
`;

/**
 * ARGV: now ('' = Redis TIME), grace, activity offset ('' = none), expireAfter, absoluteTimeout
 * (0 = off), '1' to write activity once a step of the sign-in's own expireAfter (activityStepMs:
 * instances keep copies) or '' once a second, '1' to get the user and data back, and how long ago the
 * latest activity this instance answered from its copy was ('' = none; written late, it counts
 * when it came before the stored deadline). A sign-in's own timeouts
 * (fields expireAfter, warnAfter, absoluteTimeout) win over ARGV's. The field `held` (written by
 * the hold and release scripts only) is the state's heldUntil: idle time counts from
 * max(lastActivity, min(now, held)), as idleSince() says, and the idle deadline is
 * max(lastActivity, held) + expireAfter; never the absolute one. Returns {'active',
 * lastActivity, startedAt, now, own expireAfter, warnAfter, absoluteTimeout ('' when none), held
 * ('' when none)[, user, data]}, {'ended', reason}, {'ended', reason, 'found', lastActivity,
 * startedAt, the three own timeouts, user, data, agent, held} when this call found the expiry,
 * {'missing', now} when there is no record, or {'ended', 'idle', 'damaged'}. It runs on every
 * request, so it is written for cost: no prelude, no closures, TIME only when there is a clock to
 * check, and times that are whole numbers (the usual case) go back as integer replies instead of
 * formatted strings.
 */
const TOUCH_SCRIPT = `
local key = KEYS[1]
local record = redis.call('HMGET', key, 'lastActivity', 'startedAt', 'ended', 'expireAfter',
  'warnAfter', 'absoluteTimeout', 'held')
if record[3] then return {'ended', record[3]} end
local now = tonumber(ARGV[1])
if not now then
  local time = redis.call('TIME')
  now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end
-- No record: it timed out, or Redis lost it (the caller tells which by the session's hint of its
-- deadline). Never create one here.
if not record[1] and not record[2] then return {'missing', string.format('%.17g', now)} end
local grace, huge = tonumber(ARGV[2]), math.huge
local storedLast, storedStart = tonumber(record[1]), tonumber(record[2])
local held = false
if record[7] then held = tonumber(record[7]) end
local expireAfter, absoluteTimeout = tonumber(ARGV[4]), tonumber(ARGV[5])
-- A sign-in's own timeouts win; damaged ones make the record damaged, never a looser policy.
if record[4] or record[6] then expireAfter, absoluteTimeout = tonumber(record[4]), tonumber(record[6]) end
if not (storedLast and storedLast == storedLast and storedLast > -huge and storedLast < huge
    and storedStart and storedStart == storedStart and storedStart > -huge and storedStart < huge
    and (held == false or (held and held == held and held > -huge and held < huge))
    and expireAfter and expireAfter > 0 and expireAfter <= ${MAX_TIMEOUT_MS}
    and absoluteTimeout and absoluteTimeout >= 0 and absoluteTimeout <= ${MAX_TIMEOUT_MS}) then
  redis.call('HSET', key, 'ended', 'idle')
  redis.call('PEXPIRE', key, math.ceil(grace))
  return {'ended', 'idle', 'damaged'}
end
-- Times past now (a clock set back) are read as now, and stored back.
local lastActivity, startedAt, write = storedLast, storedStart, false
if lastActivity > now then lastActivity, write = now, true end
if startedAt > now then startedAt, write = now, true end
-- Expiry first: nothing this request carries can revive a sign-in that has expired. A lease
-- holds the idle clock (idle since max(lastActivity, min(now, held))), never the absolute one.
local heldNow = lastActivity
if held then
  heldNow = held
  if heldNow > now then heldNow = now end
end
local idleFrom = lastActivity
if heldNow > idleFrom then idleFrom = heldNow end
local idleDeadline, absoluteDeadline = idleFrom + expireAfter, huge
if absoluteTimeout > 0 then absoluteDeadline = startedAt + absoluteTimeout end
if ARGV[8] and ARGV[8] ~= '' then
  local seen = now - tonumber(ARGV[8])
  if seen > now then seen = now end
  if seen > lastActivity and seen < idleDeadline and seen < absoluteDeadline then
    lastActivity, write = seen, true
    if seen > idleFrom then idleFrom = seen end
    idleDeadline = idleFrom + expireAfter
  end
end
if now >= idleDeadline or now >= absoluteDeadline then
  local reason = 'idle'
  if absoluteDeadline < idleDeadline then reason = 'absolute' end
  redis.call('HSET', key, 'ended', reason)
  redis.call('PEXPIRE', key, math.ceil(grace))
  local facts = redis.call('HMGET', key, 'user', 'data', 'agent')
  return {'ended', reason, 'found', string.format('%.17g', lastActivity),
    string.format('%.17g', startedAt), record[4] or '', record[5] or '', record[6] or '',
    facts[1] or '', facts[2] or '', facts[3] or '', record[7] or ''}
end
if ARGV[3] ~= '' then
  local reported = now - tonumber(ARGV[3])
  if reported > now then reported = now end
  -- Written once it is a step ahead, or along with a write made anyway.
  local step = ${MIN_WRITE_INTERVAL_MS}
  if ARGV[6] == '1' then step = ${luaStepOf('expireAfter')} end
  if reported - lastActivity >= step or (write and reported > lastActivity) then
    lastActivity, write = reported, true
  end
end
if write then
  -- '%.17g' keeps every double exactly.
  redis.call('HSET', key, 'lastActivity', string.format('%.17g', lastActivity),
    'startedAt', string.format('%.17g', startedAt))
  local deadline = lastActivity + expireAfter
  if held and held > lastActivity then deadline = held + expireAfter end
  if absoluteDeadline < deadline then deadline = absoluteDeadline end
  redis.call('PEXPIRE', key, math.ceil(deadline - now + grace))
end
local reply = {'active', lastActivity, startedAt, now, record[4] or '', record[5] or '',
  record[6] or '', record[7] or ''}
for i = 2, 4 do
  local n = reply[i]
  -- A Lua number becomes an integer reply: exact only for whole numbers below 2^53.
  if n % 1 ~= 0 or n <= -9007199254740992 or n >= 9007199254740992 then
    reply[i] = string.format('%.17g', n)
  end
end
if ARGV[7] == '1' then
  local facts = redis.call('HMGET', key, 'user', 'data')
  reply[9], reply[10] = facts[1] or '', facts[2] or ''
end
return reply
`;

/**
 * ARGV: now ('' = Redis TIME), grace, expireAfter, absoluteTimeout (0 = off) of this sign-in,
 * then field-value pairs of its facts. Returns now.
 */
const START_SCRIPT = `${PRELUDE}
local deadline = now + tonumber(ARGV[3])
local absoluteTimeout = tonumber(ARGV[4])
if absoluteTimeout > 0 then deadline = math.min(deadline, now + absoluteTimeout) end
redis.call('HSET', key, 'lastActivity', fmt(now), 'startedAt', fmt(now))
for i = 5, #ARGV, 2 do redis.call('HSET', key, ARGV[i], ARGV[i + 1]) end
redis.call('PEXPIRE', key, ttl(deadline))
return fmt(now)
`;

/**
 * The fields of a record, for a list of sign-ins and the sweep. ARGV: now ('' = Redis TIME),
 * grace, expireAfter, absoluteTimeout (0 = off; a sign-in's own win), '1' to record a sign-in past
 * its deadline as expired, and '1' when instances keep copies: one may hold activity not written
 * yet, up to a step (a hundredth of expireAfter, 1 s to 15 s: activityStepMs), so a record counts
 * as live until a step past its idle deadline. The idle deadline counts from
 * max(lastActivity, min(now, held)), as in the touch script. Returns {'gone'}, {'ended'}, {'live',
 * fields...} or {'expired', reason, fields...} (this call recorded the expiry), fields being
 * lastActivity, startedAt, own expireAfter, warnAfter, absoluteTimeout, user, data, agent, held
 * ('' when none).
 */
const READ_SCRIPT = `${PRELUDE}
local r = redis.call('HMGET', key, 'lastActivity', 'startedAt', 'ended', 'expireAfter',
  'warnAfter', 'absoluteTimeout', 'user', 'data', 'agent', 'held')
if not r[1] or not r[2] then return {'gone'} end
if r[3] then return {'ended'} end
local last, start = tonumber(r[1]), tonumber(r[2])
if not last or not start then return {'gone'} end
local held = false
if r[10] then held = tonumber(r[10]) end
local expireAfter, absoluteTimeout = tonumber(ARGV[3]), tonumber(ARGV[4])
if r[4] or r[6] then expireAfter, absoluteTimeout = tonumber(r[4]), tonumber(r[6]) end
-- Damaged: not listed, and the next request of the sign-in ends it.
if not expireAfter or not (expireAfter > 0 and expireAfter <= ${MAX_TIMEOUT_MS})
    or not absoluteTimeout or not (absoluteTimeout >= 0 and absoluteTimeout <= ${MAX_TIMEOUT_MS})
    or not (held == false or (held and held == held and held > -math.huge and held < math.huge)) then
  return {'gone'}
end
if last > now then last = now end
if start > now then start = now end
local idleFrom = last
if held then idleFrom = math.max(last, math.min(now, held)) end
local idle, absolute = idleFrom + expireAfter, math.huge
if absoluteTimeout > 0 then absolute = start + absoluteTimeout end
local fields = {fmt(last), fmt(start), r[4] or '', r[5] or '', r[6] or '', r[7] or '',
  r[8] or '', r[9] or '', r[10] or ''}
local slack = 0
if ARGV[6] == '1' then slack = ${luaStepOf('expireAfter')} end
if now < idle + slack and now < absolute then return {'live', unpack(fields)} end
if ARGV[5] ~= '1' then return {'ended'} end
local reason = 'idle'
if absolute < idle then reason = 'absolute' end
redis.call('HSET', key, 'ended', reason)
redis.call('PEXPIRE', key, math.ceil(tonumber(ARGV[2])))
return {'expired', reason, unpack(fields)}
`;

/**
 * The checks the hold and release scripts share, as the touch script makes them: ARGV[3] and
 * ARGV[4] are the options' expireAfter and absoluteTimeout (a sign-in's own win). Reads the
 * record's fields into `r` (lastActivity, startedAt, ended, own expireAfter, warnAfter,
 * absoluteTimeout, held, user, data, agent) and sets `state` to 'ended', 'missing', 'damaged',
 * 'expired' (with `reason`) or 'live', with `last` and `start` (read as now when past it),
 * `clamped` when either was, `held` (false when none), the deadlines and the own timeouts.
 * Records nothing.
 */
const LEASE_CHECKS = `
local huge = math.huge
local r = redis.call('HMGET', key, 'lastActivity', 'startedAt', 'ended', 'expireAfter',
  'warnAfter', 'absoluteTimeout', 'held', 'user', 'data', 'agent')
local function finite(n) return n and n == n and n > -huge and n < huge end
local state, reason, clamped = 'live', nil, false
local last, start, held = tonumber(r[1]), tonumber(r[2]), false
local expireAfter, absoluteTimeout = tonumber(ARGV[3]), tonumber(ARGV[4])
local idleDeadline, absoluteDeadline = huge, huge
if r[4] or r[6] then expireAfter, absoluteTimeout = tonumber(r[4]), tonumber(r[6]) end
if r[7] then held = tonumber(r[7]) end
if r[3] then state = 'ended'
elseif not r[1] and not r[2] then state = 'missing'
elseif not (finite(last) and finite(start) and (held == false or finite(held))
    and expireAfter and expireAfter > 0 and expireAfter <= ${MAX_TIMEOUT_MS}
    and absoluteTimeout and absoluteTimeout >= 0 and absoluteTimeout <= ${MAX_TIMEOUT_MS}) then
  state = 'damaged'
else
  if last > now then last, clamped = now, true end
  if start > now then start, clamped = now, true end
  local idleFrom = last
  if held then idleFrom = math.max(last, math.min(now, held)) end
  idleDeadline = idleFrom + expireAfter
  if absoluteTimeout > 0 then absoluteDeadline = start + absoluteTimeout end
  if now >= idleDeadline or now >= absoluteDeadline then
    state, reason = 'expired', 'idle'
    if absoluteDeadline < idleDeadline then reason = 'absolute' end
  end
end
-- The record's leases (fields lease:<id> = until): drops the lapsed ones (until <= now), each
-- ending at its until into heldTo (the latest end of an ended lease). Returns the live ones by
-- field, their count, and heldTo (-huge when none).
local function leases()
  local all = redis.call('HGETALL', key)
  local live, count, heldTo, lapsed = {}, 0, -huge, {}
  for i = 1, #all, 2 do
    local field, value = all[i], tonumber(all[i + 1])
    if not finite(value) then value = nil end
    if field == 'heldTo' then
      if value and value > heldTo then heldTo = value end
    elseif string.sub(field, 1, 6) == 'lease:' then
      if value and value > now then
        live[field], count = value, count + 1
      else
        lapsed[#lapsed + 1] = field
        if value and value > heldTo then heldTo = value end
      end
    end
  end
  if #lapsed > 0 then redis.call('HDEL', key, unpack(lapsed)) end
  return live, count, heldTo
end
-- Writes heldTo and held (the latest of heldTo and the live untils: the state's heldUntil), and
-- the record's TTL to its deadline (deadlineOf with heldUntil) + grace. Returns held.
local function settle(live, heldTo)
  local h = heldTo
  for _, untilMs in pairs(live) do if untilMs > h then h = untilMs end end
  if heldTo > -huge then redis.call('HSET', key, 'heldTo', fmt(heldTo)) end
  if h > -huge then redis.call('HSET', key, 'held', fmt(h)) else redis.call('HDEL', key, 'held') end
  local deadline = math.max(last, h) + expireAfter
  if absoluteDeadline < deadline then deadline = absoluteDeadline end
  redis.call('PEXPIRE', key, ttl(deadline))
  return h
end
`;

/**
 * Takes a lease. ARGV: now ('' = Redis TIME), grace, expireAfter, absoluteTimeout (0 = off; a
 * sign-in's own win), the channel of ends, the marker, the lease's id, its length (ms). Checks the
 * record as the touch script does, and answers as it does: {'ended', reason}, {'missing', now},
 * {'ended', 'idle', 'damaged'} (recorded), or {'ended', reason, 'found', …} (the expiry found
 * here, recorded): no lease revives a sign-in. Then drops the lapsed leases, refuses a lease past
 * MAX_LEASES_PER_SIGN_IN (16) live ones ({'too-many'}; the same id again only moves its until), sets
 * `lease:<id>` to now + length, writes `held` and the TTL, and publishes the marker on the channel
 * of ends: every instance drops its copy of the record (and learns the lease at its next step).
 * Records no activity and never moves the absolute deadline. Returns {'active', lastActivity,
 * startedAt, now, own expireAfter, warnAfter, absoluteTimeout, held, user, data}.
 */
const HOLD_SCRIPT = `${PRELUDE}${LEASE_CHECKS}
if state == 'ended' then return {'ended', r[3]} end
if state == 'missing' then return {'missing', fmt(now)} end
if state == 'damaged' then
  redis.call('HSET', key, 'ended', 'idle')
  redis.call('PEXPIRE', key, math.ceil(tonumber(ARGV[2])))
  return {'ended', 'idle', 'damaged'}
end
if state == 'expired' then
  redis.call('HSET', key, 'ended', reason)
  redis.call('PEXPIRE', key, math.ceil(tonumber(ARGV[2])))
  return {'ended', reason, 'found', fmt(last), fmt(start), r[4] or '', r[5] or '', r[6] or '',
    r[8] or '', r[9] or '', r[10] or '', r[7] or ''}
end
local live, count, heldTo = leases()
local field = 'lease:' .. ARGV[7]
if count >= ${MAX_LEASES_PER_SIGN_IN} and not live[field] then
  settle(live, heldTo)
  return {'too-many'}
end
live[field] = now + tonumber(ARGV[8])
redis.call('HSET', key, field, fmt(live[field]))
-- Times past now are stored back as now, as the touch script does.
if clamped then redis.call('HSET', key, 'lastActivity', fmt(last), 'startedAt', fmt(start)) end
held = settle(live, heldTo)
redis.call('PUBLISH', ARGV[5], ARGV[6])
return {'active', fmt(last), fmt(start), fmt(now), r[4] or '', r[5] or '', r[6] or '', fmt(held),
  r[8] or '', r[9] or ''}
`;

/**
 * Ends a lease. ARGV: now ('' = Redis TIME), grace, expireAfter, absoluteTimeout (0 = off; a
 * sign-in's own win), the channel of ends, the marker, the lease's id. Returns {'gone'} for a
 * record that is missing, ended, damaged or past its deadline: nothing is written (the sign-in's
 * next request, or the sweep, records the expiry and reports it). Else drops the lapsed leases,
 * ends this one (heldTo = max(heldTo, min(until, now))), writes `held` and the TTL, and publishes
 * the marker on the channel of ends, so that no instance answers from a copy holding the old
 * `held`. Returns {'live', now, '1' when it ended a lease ('' for one it did not know),
 * lastActivity, startedAt, own expireAfter, warnAfter, absoluteTimeout, user, data, agent, held}.
 */
const RELEASE_SCRIPT = `${PRELUDE}${LEASE_CHECKS}
if state ~= 'live' then return {'gone'} end
local field = 'lease:' .. ARGV[7]
local ended = ''
if redis.call('HEXISTS', key, field) == 1 then
  local live, _, heldTo = leases()
  local untilMs = live[field]
  if untilMs then
    live[field] = nil
    redis.call('HDEL', key, field)
    heldTo = math.max(heldTo, math.min(untilMs, now))
    ended = '1'
  end
  held = settle(live, heldTo)
  redis.call('PUBLISH', ARGV[5], ARGV[6])
end
return {'live', fmt(now), ended, fmt(last), fmt(start), r[4] or '', r[5] or '', r[6] or '',
  r[8] or '', r[9] or '', r[10] or '', held and fmt(held) or ''}
`;

/**
 * An index of sign-ins (KEYS[1], a set): ARGV 'add' marker, 'has' marker (1 or 0), 'remove'
 * marker..., 'drop' (the whole set), or 'scan' cursor count, which returns {next cursor, markers}.
 */
const INDEX_SCRIPT = `
local key, op = KEYS[1], ARGV[1]
if op == 'add' then return redis.call('SADD', key, ARGV[2]) end
if op == 'has' then return redis.call('SISMEMBER', key, ARGV[2]) end
if op == 'remove' then
  for i = 2, #ARGV do redis.call('SREM', key, ARGV[i]) end
  return 0
end
if op == 'drop' then return redis.call('DEL', key) end
return redis.call('SSCAN', key, ARGV[2], 'COUNT', ARGV[3])
`;

/**
 * The buckets of due sign-ins that exist (KEYS[1], a sorted set of bucket numbers): a minute's
 * entry, not a sign-in's. ARGV: now ('' = Redis TIME), grace (unused), then 'add' bucket, 'remove'
 * bucket, or 'upto' bucket ('' for all). Returns {now, buckets listed up to that one}.
 */
const BUCKETS_SCRIPT = `${PRELUDE}
local op, bucket = ARGV[3], ARGV[4]
if op == 'add' then redis.call('ZADD', key, bucket, bucket) end
if op == 'remove' then redis.call('ZREM', key, bucket) end
local listed = {}
if op == 'upto' then listed = redis.call('ZRANGEBYSCORE', key, '-inf', bucket == '' and '+inf' or bucket) end
return {fmt(now), listed}
`;

/**
 * ARGV: now ('' = Redis TIME), grace, reason, the channel of ends, the marker. A missing record
 * stays missing; an ended one keeps the reason it ended for, and its leases end with it (the hold
 * and release scripts do nothing on an ended record). Returns {} unless this call ended the
 * sign-in, else {lastActivity, startedAt, own expireAfter, warnAfter, absoluteTimeout, user, data,
 * agent, held} ('' when none), and publishes the marker on the channel, in the same atomic step: every
 * instance's copy of the record is dropped (src/stores/redis-cache.ts).
 */
const END_SCRIPT = `${PRELUDE}
if redis.call('EXISTS', key) == 0 or redis.call('HEXISTS', key, 'ended') == 1 then return {} end
local r = redis.call('HMGET', key, 'lastActivity', 'startedAt', 'expireAfter', 'warnAfter',
  'absoluteTimeout', 'user', 'data', 'agent', 'held')
redis.call('HSET', key, 'ended', ARGV[3])
redis.call('PEXPIRE', key, ttl(now))
redis.call('PUBLISH', ARGV[4], ARGV[5])
for i = 1, 9 do r[i] = r[i] or '' end
return r
`;

/** A heartbeat on the channel of ends (KEYS[1]): ARGV its text. */
const PUBLISH_SCRIPT = `return redis.call('PUBLISH', KEYS[1], ARGV[1])`;

/** Why a sign-in ended ('' while it lives or when its record is gone). No ARGV. */
const ENDED_SCRIPT = `return redis.call('HGET', KEYS[1], 'ended') or ''`;

/**
 * The store's mark in Redis (KEYS[1], no TTL), set when missing. ARGV: its value. Returns 1 when
 * it was there: a mark this process saw that is gone again means Redis lost the store's data.
 */
const MARK_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 1 end
redis.call('SET', KEYS[1], ARGV[1])
return 0
`;

/** Takes a name once: true the first time, false while it lives (`SET NX PX`). */
const CLAIM_SCRIPT = `
if redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[1]) then return 1 end
return 0
`;

interface Script {
  name: string;
  text: string;
  sha: string;
}

const defineScript = (name: string, text: string): Script => ({
  name,
  text,
  sha: createHash('sha1').update(text).digest('hex'),
});
const TOUCH = defineScript('touch', TOUCH_SCRIPT);
const START = defineScript('start', START_SCRIPT);
const END = defineScript('end', END_SCRIPT);
const READ = defineScript('read', READ_SCRIPT);
const HOLD = defineScript('hold', HOLD_SCRIPT);
const RELEASE = defineScript('release', RELEASE_SCRIPT);
const INDEX = defineScript('index', INDEX_SCRIPT);
const BUCKETS = defineScript('buckets', BUCKETS_SCRIPT);
const ENDED = defineScript('ended', ENDED_SCRIPT);
const MARK = defineScript('mark', MARK_SCRIPT);
const PUBLISH = defineScript('publish', PUBLISH_SCRIPT);
const CLAIM = defineScript('claim', CLAIM_SCRIPT);

/** One warning per process about sessions without a marker: the app does not call start(). */
let warnedMissingMarker = false;

/** The two commands the store sends, whichever the client; `notReady` says why it cannot send now. */
interface Commands {
  notReady(): string | undefined;
  evalSha(sha: string, keys: string[], args: string[]): Promise<unknown>;
  /**
   * `WAIT replicas timeout` on the connection that wrote `key` (its node's, in a Cluster): how many
   * replicas hold every write it sent.
   */
  waitFor(key: string, replicas: number, timeoutMs: number): Promise<unknown>;
  /** A Cluster client: each key's writes go through its own node's connection. */
  cluster: boolean;
  /** Runs a script by its text, routed by its key as evalSha is (Redis caches it for evalSha). */
  eval(text: string, keys: string[], args: string[]): Promise<unknown>;
  /** `INFO memory`, as text ('' where the client has no info method). */
  info(): Promise<unknown>;
  /** Calls `lost` when the connection to Redis is lost, `ready` when it is (again) ready. */
  watch(lost: () => void, ready: () => void): void;
}

/**
 * A store that keeps each sign-in's clock in Redis, shared by every instance of the app: one atomic
 * script per request checks expiry on Redis's clock and records activity. A record outlives its
 * deadline by `graceSeconds`, then expires; a session whose record is missing has expired, so no
 * sign-in ever comes back. The app must call `security.start(req)` at sign-in.
 *
 * @param options - the client (connected), and optionally prefix, commandTimeout, graceSeconds
 * @returns the store, to pass as the `store` option
 * @throws SessionSecurityConfigError naming the wrong option
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 * import { sessionSecurity } from 'session-security/express';
 * import { redisStore } from 'session-security/redis';
 *
 * const client = new Redis(process.env.REDIS_URL!);
 * const security = sessionSecurity({
 *   isAuthenticated: (req) => req.session.user !== undefined,
 *   drafts: false, // or userId and draftSecret (docs/guide/behaviour.md: Drafts kept across sign-in)
 *   store: redisStore({ client }),
 * });
 * ```
 */
export function redisStore(options: RedisStoreOptions): ActivityStore {
  if (options?.subscriber !== undefined && options.subscriber === options.client) {
    throw new SessionSecurityConfigError(
      'subscriber',
      'subscriber must be a second connection (client.duplicate()): a subscribed connection cannot run the scripts',
    );
  }
  if (
    options?.subscriber !== undefined &&
    (isCluster(options.client) || isCluster(options.subscriber))
  ) {
    throw new SessionSecurityConfigError(
      'subscriber',
      "subscriber is not supported with a Redis Cluster client: a Cluster's shards publish sign-outs on links of their own, in no order between them, so no heartbeat can prove that every sign-out was heard; leave subscriber out (one script per request)",
    );
  }
  return new RedisActivityStore(
    checkOptions(options, REDIS_OPTIONS, { owner: 'redisStore', example: '{ client }' }),
  );
}

/** The store redisStore makes: one connection's commands, and this process's memory of its ends. */
class RedisActivityStore implements ActivityStore {
  private readonly commands: Commands;
  private readonly prefix: string;
  private readonly commandTimeoutMs: number;
  private readonly waitReplicas: number;
  /** Until when (Date.now()) ends are refused without a WAIT: the replicas just failed one. */
  private replicasMissingUntil = 0;
  private readonly graceMs: number;
  private readonly now: (() => number) | undefined;
  private readonly logger: Logger;
  private readonly markKey: string;
  /** The list of every sign-in of earlier versions: read once by the sweep, then dropped. */
  private readonly allIndex: string;
  /** The buckets of due sign-ins that exist, and the ones this process added to it lately. */
  private readonly bucketsKey: string;
  private readonly bucketsAdded = new Map<number, number>();
  private readonly recentEnds = new Map<string, { reason: EndReason; atMs: number }>();
  private toReplay: Map<string, { reason: EndReason; atMs: number }> | undefined;
  private markSeen = false;
  private markCheckedAt = Number.NEGATIVE_INFINITY;
  /** Copies of live records, with a subscriber (see RecordCache). */
  private readonly cache: RecordCache | undefined;
  /** Redis's clock minus this process's monotonic one, as the reply it was learned from showed it. */
  private redisOffsetMs = 0;
  /** How far off {@link redisOffsetMs} may be: half that reply's round trip (none learned yet: ∞). */
  private clockErrorMs = Number.POSITIVE_INFINITY;
  /** When (this process's monotonic clock) the offset was learned. */
  private clockLearnedAt = 0;
  private readonly endsChannel: string;

  constructor(options: CheckedOptions<typeof REDIS_OPTIONS>) {
    this.commands = options.client;
    this.prefix = options.prefix;
    this.commandTimeoutMs = options.commandTimeout;
    this.waitReplicas = options.waitReplicas;
    this.graceMs = Math.ceil(options.graceSeconds * 1000);
    this.now = options.now;
    this.logger = options.logger;
    this.markKey = `${this.prefix}mark`;
    this.allIndex = `${this.prefix}index:all`;
    this.bucketsKey = `${this.prefix}due:buckets`;
    this.endsChannel = `${this.prefix}ended`;
    if (options.subscriber !== undefined) {
      this.cache = new RecordCache(options.cacheBound, MAX_CACHED, this.commandTimeoutMs);
      this.listen(options.subscriber, this.cache);
    }
    void warnOfEviction(this.commands, this.logger);
    // After the client's own 'ready' handlers: it may count as ready only once they have run.
    this.commands.watch(
      () => this.connectionLost(),
      () => void setImmediate(() => void this.replayEnds()),
    );
  }

  /** The time argument of every script: the test clock, or '' for Redis's own `TIME`. */
  private nowArgument(): string {
    if (this.now === undefined) return '';
    const nowMs = this.now();
    if (!Number.isFinite(nowMs)) throw new Error(`session-security: now() returned ${nowMs}`);
    return String(nowMs);
  }

  /** Redis's time now, as this process reckons it from the latest reply (or the test clock). */
  private estimatedNow(): number {
    return this.now === undefined ? performance.now() + this.redisOffsetMs : this.now();
  }

  /**
   * Subscribes to the channel of ends and proves, four times per bound, that nothing was missed:
   * a heartbeat published through the command connection comes back through the subscription
   * after every sign-out published before it. Any sign of a gap (the subscription dropped or came
   * back, a heartbeat missing) drops every copy.
   */
  private listen(subscription: Subscription, cache: RecordCache): void {
    const nonce = randomId();
    const sent = new Map<number, number>();
    let sequence = 0;
    let heard = 0;
    let subscribed: 'no' | 'pending' | 'yes' = 'no';
    const onMessage = (message: string) => {
      if (!message.startsWith('#')) {
        cache.invalidate(message);
        return;
      }
      const [from, count] = message.slice(1).split(':');
      const heartbeat = Number(count);
      const sentAt = sent.get(heartbeat);
      if (from !== nonce || sentAt === undefined) return;
      if (heartbeat !== heard + 1) cache.clear();
      heard = heartbeat;
      for (const key of sent.keys()) {
        if (key > heartbeat) break;
        sent.delete(key);
      }
      cache.confirm(sentAt);
    };
    subscription.watch(() => {
      subscribed = 'no';
      cache.clear(true);
    });
    const beat = () => {
      if (subscription.closed()) {
        clearInterval(timer);
        cache.clear(true);
        return;
      }
      if (!subscription.ready()) {
        cache.clear(true);
        return;
      }
      if (subscribed === 'no') {
        subscribed = 'pending';
        subscription.subscribe(this.endsChannel, onMessage).then(
          () => {
            if (subscribed === 'pending') subscribed = 'yes';
          },
          (error: unknown) => {
            subscribed = 'no';
            this.logger.warn(
              `session-security: cannot subscribe to ${this.endsChannel} on the subscriber connection (${(error as Error)?.message}); answering every request from Redis until it can`,
            );
          },
        );
        return;
      }
      sequence++;
      sent.set(sequence, performance.now());
      // A heartbeat that is never heard back (Redis stalled) ages the proof: copies stop being used.
      while (sent.size > 64) sent.delete(sent.keys().next().value as number);
      this.runOn(PUBLISH, this.endsChannel, [`#${nonce}:${sequence}`]).catch(() => {});
    };
    const timer = setInterval(beat, Math.max(1, cache.boundMs / 4));
    timer.unref?.();
    beat();
  }

  /**
   * Answers a step from the copy of the record when it can, or returns undefined: no copy, or
   * none usable now, a step carrying facts the copy lacks, a copy older than a step, a deadline
   * within a step, or activity a step ahead of the record (the script writes it).
   */
  private fromCopy(
    marker: string,
    activityOffsetMs: number | undefined,
    withFacts: boolean | undefined,
  ): Touch | undefined {
    const copy = this.cache?.get(marker);
    if (copy === undefined || (withFacts && !copy.withFacts)) return undefined;
    const step = activityStepMs(copy.timeouts);
    if (performance.now() - copy.filledAt >= step) return undefined;
    const nowMs = this.estimatedNow();
    // The record's deadline, its leases' until counted (a copy holding a lease that ended elsewhere
    // was dropped: the release script publishes the marker).
    const stored = {
      lastActivity: copy.storedLast,
      startedAt: copy.state.startedAt,
      heldUntil: copy.state.heldUntil,
    };
    if (nowMs >= deadlineOf(stored, copy.timeouts) - step) return undefined;
    let last = copy.lastActivity;
    if (activityOffsetMs !== undefined) {
      const reported = Math.min(nowMs - activityOffsetMs, nowMs);
      if (reported > last) last = reported;
    }
    if (last - copy.storedLast >= step) return undefined;
    copy.lastActivity = last;
    return { kind: 'active', state: { ...copy.state, lastActivity: last }, nowMs };
  }

  /** Runs a script on a sign-in's record (see {@link runOn}). */
  private run(script: Script, marker: string, args: string[]): Promise<unknown> {
    return this.runOn(script, `${this.prefix}${marker}`, args);
  }

  /**
   * Runs a script in one round trip (one more after a Redis restart, a SCRIPT FLUSH or a failover
   * to a node that never ran it: then by its text, on the node of its key, which caches it), within
   * the timeout.
   */
  private runOn(script: Script, key: string, args: string[]): Promise<unknown> {
    const send = <T>(command: () => Promise<T>): Promise<T> => {
      // Checked before each command: a client's offline queue would hold it past any deadline.
      const notReady = this.commands.notReady();
      if (notReady !== undefined) {
        return Promise.reject(
          new Error(`session-security: the Redis client is not ready (${notReady})`),
        );
      }
      return command();
    };
    const attempt = async () => {
      try {
        return await send(() => this.commands.evalSha(script.sha, [key], args));
      } catch (error) {
        if (!String((error as Error | undefined)?.message).startsWith('NOSCRIPT')) throw error;
        // NOSCRIPT: it did not run. By its text, it runs once, on the node that holds the key.
        return await send(() => this.commands.eval(script.text, [key], args));
      }
    };
    return withTimeout(attempt(), this.commandTimeoutMs, `the ${script.name} script`).then(
      (reply) => {
        if (this.toReplay !== undefined) void this.replayEnds();
        return reply;
      },
      (error: unknown) => {
        this.connectionLost();
        throw error;
      },
    );
  }

  /**
   * Sign-outs recorded in the last {@link RECENT_END_MS} (marker, reason, when), oldest first.
   * Redis's append-only file with `appendfsync everysec` loses up to about a second of writes
   * when Redis dies; a sign-out among them would come back to life with its session (which the
   * same Redis kept). So when the connection is lost, the recent ones are set aside, and
   * recorded again once Redis answers: ending a sign-in that is already ended does nothing.
   */

  private rememberEnds(markers: string[], reason: EndReason): void {
    const atMs = Date.now();
    for (const marker of markers) {
      this.recentEnds.delete(marker);
      this.recentEnds.set(marker, { reason, atMs });
    }
    for (const [marker, { atMs: endedAt }] of this.recentEnds) {
      if (endedAt > atMs - RECENT_END_MS && this.recentEnds.size <= MAX_RECENT_ENDS) break;
      this.recentEnds.delete(marker);
    }
  }

  private connectionLost(): void {
    // Redis may come back without its data: list each due minute again at its next use.
    this.bucketsAdded.clear();
    if (this.toReplay !== undefined) return;
    const since = Date.now() - RECENT_END_MS;
    this.toReplay = new Map([...this.recentEnds].filter(([, { atMs }]) => atMs >= since));
  }

  private async replayEnds(): Promise<void> {
    const pending = this.toReplay;
    this.toReplay = undefined;
    if (pending === undefined || pending.size === 0) return;
    const byReason = new Map<EndReason, string[]>();
    for (const [marker, { reason }] of pending) {
      byReason.set(reason, [...(byReason.get(reason) ?? []), marker]);
    }
    let again = 0;
    try {
      for (const [reason, markers] of byReason)
        again += (await this.endAll(markers, reason)).length;
    } catch {
      // Redis went away again, or the client is not ready yet: keep them, and try again soon
      // (also at the next command that succeeds, and when the client is ready).
      this.toReplay = new Map([...pending, ...(this.toReplay ?? [])]);
      setTimeout(() => void this.replayEnds(), 250).unref?.();
      return;
    }
    if (again > 0) {
      this.logger.error(
        `session-security: ${again} sign-out(s) recorded just before the connection to Redis was lost were missing when it came back (Redis lost its last writes), and were recorded again`,
      );
    }
  }

  /**
   * How a sign-in this process ended lately ended, while it is kept to be recorded again: its
   * requests here are refused without asking Redis, which may have lost the end.
   */
  private heldEnd(marker: string): EndReason | undefined {
    return (this.toReplay?.get(marker) ?? this.recentEnds.get(marker))?.reason;
  }

  /** The sign-in marker the session holds, or undefined when it holds none. */
  private markerOf(session: SessionAccess): string | undefined {
    const value = session.read();
    if (value === null || typeof value !== 'object') return undefined;
    const { id } = value as Record<string, unknown>;
    return typeof id === 'string' && id !== '' ? id : undefined;
  }

  /**
   * The deadline hint the session holds (`until`, ms): the sign-in's deadline as this store last
   * wrote it into the session. A missing record before `until + grace` was lost, not timed out.
   */
  private hintOf(session: SessionAccess): number | undefined {
    const value = session.read();
    if (value === null || typeof value !== 'object') return undefined;
    const { until } = value as Record<string, unknown>;
    return typeof until === 'number' && Number.isFinite(until) ? until : undefined;
  }

  /**
   * Why a sign-in whose record is missing ended: `lost` while its session's hint says the record
   * should still be there (Redis evicted or lost it), else `idle` (it timed out long ago, or the
   * session predates hints). Then checks the store's mark, to log a loss of all of Redis's data.
   */
  private missingReason(session: SessionAccess, nowMs: number): EndReason {
    void this.checkMark(true);
    const until = this.hintOf(session);
    return until !== undefined && nowMs < until + this.graceMs ? 'lost' : 'idle';
  }

  /** Takes `name` once on every instance (the lock's passkey challenges): `SET NX PX`. */
  async claimOnce(name: string, ttlMs: number): Promise<boolean> {
    const ttl = Math.max(1, Math.ceil(ttlMs));
    return Number(await this.runOn(CLAIM, `${this.prefix}once:${name}`, [String(ttl)])) === 1;
  }

  /**
   * Whether Redis still holds the store's mark: set the first time, it has no TTL, so once this
   * process has seen it, its absence means Redis lost its data (FLUSHALL, a restart without
   * persistence, eviction of keys without a TTL), which is logged. Checked at this process's first
   * sign-in, and when a record is missing at most once per 5 s (after a flush, every user's next
   * request finds one).
   */
  private async checkMark(missing: boolean): Promise<void> {
    if (this.commands.notReady() !== undefined) return;
    const at = Date.now();
    if (missing) {
      if (at - this.markCheckedAt < 5000) return;
      this.markCheckedAt = at;
    }
    try {
      const there = Number(await this.runOn(MARK, this.markKey, [String(at)])) === 1;
      if (!there && this.markSeen) {
        // The list of due minutes went with the rest: list each minute again at its next use.
        this.bucketsAdded.clear();
        this.logger.error(
          "session-security: Redis lost the store's data (its mark key is gone: FLUSHALL, a restart without persistence, or eviction); every sign-in it held has ended, and their users are told so (reason lost). Configure Redis with persistence (appendonly yes) and maxmemory-policy noeviction",
        );
      }
      this.markSeen = true;
    } catch {
      // checked again at the next missing record
      if (missing) this.markCheckedAt = Number.NEGATIVE_INFINITY;
    }
  }

  /** Walks an index in batches: each batch's markers go to `visit`, which says which to drop from the index. */
  private async walk(
    index: string,
    visit: (markers: string[]) => Promise<string[]>,
  ): Promise<void> {
    let cursor = '0';
    do {
      const reply = await this.runOn(INDEX, index, ['scan', cursor, String(BATCH)]);
      if (!Array.isArray(reply) || !Array.isArray(reply[1])) throw unexpectedReply('index', reply);
      cursor = stringOf(reply[0]);
      const markers = [...new Set((reply[1] as unknown[]).map(stringOf))];
      const gone = markers.length === 0 ? [] : await visit(markers);
      if (gone.length > 0) await this.runOn(INDEX, index, ['remove', ...gone]);
    } while (cursor !== '0');
  }

  /** Reads (and, with `expire`, records the expiry of) each marker's record. */
  private readAll(markers: string[], timeouts: Timeouts, expire: boolean) {
    return Promise.all(
      markers.map(async (marker) => ({
        marker,
        read: readRecordReply(
          await this.run(READ, marker, [
            this.nowArgument(),
            String(this.graceMs),
            String(timeouts.expireAfterMs),
            String(timeouts.absoluteTimeoutMs),
            expire ? '1' : '',
            // With copies, another instance's activity may be a step ahead of the record.
            this.cache === undefined ? '' : '1',
          ]),
          marker,
        ),
      })),
    );
  }

  /** Ends sign-ins by marker; returns the ones this call ended, taken out of the indexes. */
  private async endAll(markers: string[], reason: EndReason): Promise<SecurityState[]> {
    const ended = (
      await Promise.all(
        markers.map(async (marker) => {
          // Dropped before and after: no request here answers from the copy once the end is sent.
          this.cache?.invalidate(marker);
          const args = [this.nowArgument(), String(this.graceMs), reason, this.endsChannel, marker];
          const reply = await this.run(END, marker, args);
          this.cache?.invalidate(marker);
          return stateFromFields(reply, marker);
        }),
      )
    ).filter((state): state is SecurityState => state !== undefined);
    this.rememberEnds(
      ended.map((state) => state.id),
      reason,
    );
    if (this.waitReplicas > 0) await this.replicated(markers);
    await this.forget(ended);
    return ended;
  }

  /**
   * Resolves once `waitReplicas` replicas hold the ends of `markers` (one `WAIT` per connection
   * that wrote them: one, or in a Cluster one per key), or fails: the ends are not acknowledged,
   * and this process refuses those sign-ins meanwhile (see heldEnd).
   */
  private async replicated(markers: string[]): Promise<void> {
    const keys = this.commands.cluster
      ? markers.map((marker) => `${this.prefix}${marker}`)
      : markers.slice(0, 1).map((marker) => `${this.prefix}${marker}`);
    const timeoutMs = this.commandTimeoutMs;
    // A WAIT holds its connection, and every command queued behind it, until it returns: it gets
    // a short limit (a replica acknowledges within milliseconds when it can), and after a
    // failure ends are refused at once for a second, so that a missing replica costs sign-outs
    // a 503, not every request a wait.
    const waitMs = Math.max(1, Math.min(MAX_WAIT_MS, Math.floor(timeoutMs / 2)));
    if (Date.now() < this.replicasMissingUntil) {
      throw new SessionStoreUnavailableError(
        'record a sign-out on its replicas',
        `fewer than the ${this.waitReplicas} replica(s) asked (waitReplicas) acknowledged the last sign-out; tried again in a second, so this one is not acknowledged`,
      );
    }
    let fewest: number;
    try {
      const counts = await Promise.all(
        keys.map((key) =>
          withTimeout(this.commands.waitFor(key, this.waitReplicas, waitMs), timeoutMs, 'WAIT'),
        ),
      );
      fewest = Math.min(...counts.map(Number));
    } catch (error) {
      this.replicasMissingUntil = Date.now() + REPLICAS_RETRY_MS;
      throw new SessionStoreUnavailableError(
        'record a sign-out on its replicas',
        `WAIT failed (${(error as Error)?.message}); a failover could lose the sign-out, so it is not acknowledged`,
        { cause: error },
      );
    }
    if (!(fewest >= this.waitReplicas)) {
      this.replicasMissingUntil = Date.now() + REPLICAS_RETRY_MS;
      throw new SessionStoreUnavailableError(
        'record a sign-out on its replicas',
        `${Number.isFinite(fewest) ? fewest : 'no'} of the ${this.waitReplicas} replica(s) asked (waitReplicas) acknowledged it within ${waitMs} ms; a failover could lose it, so it is not acknowledged`,
      );
    }
  }

  /**
   * Takes ended sign-ins out of their users' indexes, so that a user's index does not grow with
   * every sign-in. Best effort: a marker left behind is dropped by the next list that reads it.
   */
  private async forget(states: SecurityState[]): Promise<void> {
    try {
      // A due bucket keeps an ended marker until the sweep drops the bucket: nothing to do here.
      // One command per user, all sent at once: ending many sign-ins stays linear.
      const byUser = new Map<string, string[]>();
      for (const { userId, id } of states) {
        if (userId === undefined) continue;
        const markers = byUser.get(userId);
        if (markers) markers.push(id);
        else byUser.set(userId, [id]);
      }
      await Promise.all(
        [...byUser].map(([userId, markers]) =>
          this.runOn(INDEX, this.userIndex(userId), ['remove', ...markers]),
        ),
      );
    } catch {
      // left for the next list or sweep
    }
  }

  /** The index of one user's sign-ins (its name a hash of the user's id). */
  private userIndex(userId: string): string {
    return `${this.prefix}index:user:${createHash('sha256').update(userId).digest('base64url')}`;
  }

  async touch(
    session: SessionAccess,
    activityOffsetMs: number | undefined,
    timeouts: Timeouts,
    withFacts?: boolean,
    exact?: boolean,
  ): Promise<Touch> {
    const marker = this.markerOf(session);
    if (marker === undefined) {
      // Why: with the clock outside the session, a missing clock cannot be told from a record
      // that timed out, so it is expired; starting one here would revive ended sign-ins.
      if (!warnedMissingMarker) {
        warnedMissingMarker = true;
        this.logger.warn(
          'session-security: a signed-in session has no Redis clock, so it is treated as expired; call `await security.start(req)` at sign-in',
        );
      }
      return { kind: 'ended', reason: 'idle' };
    }
    const held = this.heldEnd(marker);
    if (held !== undefined) return { kind: 'ended', reason: held };
    if (activityOffsetMs !== undefined && !Number.isFinite(activityOffsetMs)) {
      throw new Error(
        `session-security: activityOffsetMs (${activityOffsetMs}) must be a finite number`,
      );
    }
    const { cache } = this;
    if (cache !== undefined && !exact) {
      const answer = this.fromCopy(marker, activityOffsetMs, withFacts);
      if (answer !== undefined) return answer;
    }
    // With copies, activity is written once a step (an exact step: once a second, as without),
    // and the copy's activity not written yet goes along.
    const copy = cache?.get(marker);
    const generation = cache?.begin() ?? 0;
    const sentAt = performance.now();
    const reply = await this.run(TOUCH, marker, [
      this.nowArgument(),
      String(this.graceMs),
      activityOffsetMs === undefined ? '' : String(activityOffsetMs),
      String(timeouts.expireAfterMs),
      String(timeouts.absoluteTimeoutMs),
      cache === undefined || exact ? '' : '1',
      withFacts ? '1' : '',
      copy !== undefined && copy.lastActivity > copy.storedLast
        ? String(Math.max(0, this.estimatedNow() - copy.lastActivity))
        : '',
    ]);
    const touch = await this.settled(session, marker, readTouchReply(reply, marker));
    if (touch.kind !== 'active') return touch;
    await this.keepHint(session, marker, touch.state, timeouts);
    if (cache === undefined) return touch;
    const lastActivity = Math.max(
      touch.state.lastActivity,
      activityOffsetMs === undefined ? touch.state.lastActivity : touch.nowMs - activityOffsetMs,
      copy?.lastActivity ?? touch.state.lastActivity,
    );
    this.learnClock(touch.nowMs, sentAt);
    cache.fill(marker, generation, {
      storedLast: touch.state.lastActivity,
      lastActivity,
      state: touch.state,
      timeouts: timeoutsOf(touch.state, timeouts),
      withFacts: withFacts === true,
    });
    return {
      ...touch,
      state: { ...touch.state, lastActivity: Math.min(lastActivity, touch.nowMs) },
    };
  }

  /**
   * A touch or hold script's answer as the store gives it: a damaged record (logged) or a missing
   * one ends the sign-in, an expiry found is taken out of its user's index; the copy of a sign-in
   * that is over is dropped.
   */
  private async settled(
    session: SessionAccess,
    marker: string,
    touch: ReturnType<typeof readTouchReply>,
  ): Promise<Touch> {
    if (touch === 'damaged') {
      this.cache?.invalidate(marker);
      this.logger.error(
        'session-security: the stored security state is damaged; ending the session',
      );
      return { kind: 'ended', reason: 'idle' };
    }
    if (touch.kind === 'missing') {
      this.cache?.invalidate(marker);
      return { kind: 'ended', reason: this.missingReason(session, touch.nowMs) };
    }
    if (touch.kind === 'ended') {
      this.cache?.invalidate(marker);
      if (touch.found) await this.forget([touch.found]);
    }
    return touch;
  }

  /**
   * Keeps the session's hint of the deadline (deadlineOf, leases counted) within half the grace
   * behind it, and never ahead (a released lease moves the deadline back): a record missing
   * before its deadline is then always found before hint + grace, and one that timed out never is.
   */
  private async keepHint(
    session: SessionAccess,
    marker: string,
    state: SecurityState,
    timeouts: Timeouts,
  ): Promise<void> {
    const deadline = deadlineOf(state, timeoutsOf(state, timeouts));
    const until = this.hintOf(session);
    if (until === undefined || deadline - until > this.graceMs / 2 || until > deadline) {
      await session.write({ id: marker, until: deadline });
    }
  }

  /**
   * Takes a lease on the session's sign-in in one script (see HOLD_SCRIPT): checked first as a
   * touch checks it, so no lease revives a sign-in that ended or expired, and published, so that
   * every instance drops its copy and learns the lease at its next step.
   */
  async hold(session: SessionAccess, lease: LeaseRequest, timeouts: Timeouts): Promise<Held> {
    const marker = this.markerOf(session);
    if (marker === undefined) return { kind: 'ended', reason: 'idle' };
    const held = this.heldEnd(marker);
    if (held !== undefined) return { kind: 'ended', reason: held };
    if (typeof lease?.id !== 'string' || lease.id === '' || !(lease.forMs > 0)) {
      throw new TypeError('session-security: a lease needs an id and a length above 0 ms');
    }
    if (!Number.isFinite(lease.forMs)) {
      throw new TypeError(`session-security: a lease's length (${lease.forMs}) must be finite`);
    }
    // Dropped before and after: this process answers no step from a copy without the lease.
    this.cache?.invalidate(marker);
    const reply = await this.run(HOLD, marker, [
      ...this.leaseArguments(marker, lease.id, timeouts),
      String(lease.forMs),
    ]);
    this.cache?.invalidate(marker);
    if (Array.isArray(reply) && stringOf(reply[0]) === 'too-many') return { kind: 'too-many' };
    const touch = await this.settled(session, marker, readTouchReply(reply, marker));
    if (touch.kind === 'active') await this.keepHint(session, marker, touch.state, timeouts);
    return touch;
  }

  /** The arguments the hold and release scripts share (see HOLD_SCRIPT). */
  private leaseArguments(marker: string, lease: string, timeouts: Timeouts): string[] {
    return [
      this.nowArgument(),
      String(this.graceMs),
      String(timeouts.expireAfterMs),
      String(timeouts.absoluteTimeoutMs),
      this.endsChannel,
      marker,
      lease,
    ];
  }

  /**
   * Ends a lease of a sign-in in one script (see RELEASE_SCRIPT), published so that no instance
   * answers from a copy holding the lease. A sign-in that ended, expired or is gone is left as it
   * is (undefined). When the deadline moved back, the sign-in is listed in its new due bucket, so
   * that the sweep finds it then (best effort: it is listed at its old one anyway).
   */
  async release(
    marker: string,
    lease: string,
    timeouts: Timeouts,
  ): Promise<SecurityState | undefined> {
    if (this.heldEnd(marker) !== undefined) return undefined;
    this.cache?.invalidate(marker);
    const reply = await this.run(RELEASE, marker, this.leaseArguments(marker, lease, timeouts));
    this.cache?.invalidate(marker);
    if (!Array.isArray(reply)) throw unexpectedReply('release', reply);
    if (stringOf(reply[0]) === 'gone') return undefined;
    const nowMs = numberOf(reply[1]);
    const state = stateFromFields(reply.slice(3), marker);
    if (stringOf(reply[0]) !== 'live' || state === undefined || !Number.isFinite(nowMs)) {
      throw unexpectedReply('release', reply);
    }
    // No live lease by that id (never taken, ended already, lapsed): nothing ended.
    if (stringOf(reply[2]) !== '1') return undefined;
    const own = timeoutsOf(state, timeouts);
    await this.listDue(marker, this.dueBucket(deadlineOf(state, own), nowMs, own)).catch(() => {});
    return state;
  }

  /**
   * Learns Redis's clock from a reply's `now`, read by Redis between `sentAt` and the reply: the
   * midpoint is off by at most half the round trip. A reply teaches it when that bound is no worse
   * than the current estimate's, whose bound grows with its age ({@link CLOCK_ERROR_GROWTH}, so a
   * Redis clock set forward or back is followed): a slow first reply (a script sent twice, a
   * loaded machine) is replaced by the first quicker one, and the quickest recent one is kept.
   */
  private learnClock(redisNowMs: number, sentAt: number): void {
    const receivedAt = performance.now();
    const errorMs = (receivedAt - sentAt) / 2;
    const currentMs = this.clockErrorMs + (receivedAt - this.clockLearnedAt) * CLOCK_ERROR_GROWTH;
    if (errorMs > currentMs) return;
    this.clockErrorMs = errorMs;
    this.clockLearnedAt = receivedAt;
    this.redisOffsetMs = redisNowMs - (sentAt + receivedAt) / 2;
  }

  async start(
    session: SessionAccess,
    timeouts: Timeouts,
    facts: SignInFacts = {},
  ): Promise<Touch & { kind: 'active' }> {
    const id = randomId();
    const own = facts.timeouts ?? timeouts;
    const generation = this.cache?.begin() ?? 0;
    const sentAt = performance.now();
    const fields: string[] = [];
    if (facts.timeouts) {
      fields.push('expireAfter', String(own.expireAfterMs), 'warnAfter', String(own.warnAfterMs));
      fields.push('absoluteTimeout', String(own.absoluteTimeoutMs));
    }
    if (facts.userId !== undefined) fields.push('user', facts.userId);
    if (facts.data !== undefined) fields.push('data', JSON.stringify(facts.data));
    if (facts.agent !== undefined) fields.push('agent', facts.agent);
    const reply = await this.run(START, id, [
      this.nowArgument(),
      String(this.graceMs),
      String(own.expireAfterMs),
      String(own.absoluteTimeoutMs),
      ...fields,
    ]);
    const nowMs = Number(stringOf(reply));
    if (!Number.isFinite(nowMs)) throw unexpectedReply('start', reply);
    if (!this.markSeen) void this.checkMark(false);
    const until = deadlineOf({ lastActivity: nowMs, startedAt: nowMs }, own);
    // Listed before the session names it: a sign-in nobody can list could not be ended.
    await this.listDue(id, this.dueBucket(until, nowMs, own));
    if (facts.userId !== undefined)
      await this.runOn(INDEX, this.userIndex(facts.userId), ['add', id]);
    // The marker and a hint of the deadline go in the session: activity rewrites the hint
    // only when the deadline moved on by half the grace (see touch).
    await session.write({ id, until });
    const state: SecurityState = { lastActivity: nowMs, startedAt: nowMs, id, ...facts };
    if (this.cache !== undefined) {
      this.learnClock(nowMs, sentAt);
      const copy = { storedLast: nowMs, lastActivity: nowMs, state, timeouts: own };
      this.cache.fill(id, generation, { ...copy, withFacts: true });
    }
    return { kind: 'active', state, nowMs };
  }

  async end(session: SessionAccess, reason: EndReason): Promise<SecurityState | undefined> {
    const marker = this.markerOf(session);
    if (marker === undefined) return undefined;
    return (await this.endAll([marker], reason))[0];
  }

  peek(): Touch | undefined {
    // The lifecycle reuses the result of the request's own touch: no second round trip.
    return undefined;
  }

  async endedReason(marker: string): Promise<EndReason | undefined> {
    const held = this.heldEnd(marker);
    if (held !== undefined) return held;
    const reason = stringOf(await this.run(ENDED, marker, []));
    if (reason !== '') return isEndReason(reason) ? reason : undefined;
    // The page's sign-in did not end, yet its browser has no signed-in session: Redis lost the
    // record, or the session store lost the session while the record lives (evicted, flushed,
    // its own TTL), or the sign-in ended more than graceSeconds ago (a page that slept that
    // long: its client, past its own deadline, says idle). The same answer for a live and a
    // missing record, so a ping cannot learn whether a marker is live; it ends nothing.
    void this.checkMark(true);
    return 'lost';
  }

  async signIns(userId: string, timeouts: Timeouts): Promise<SignInRecord[]> {
    const found: SignInRecord[] = [];
    await this.walk(this.userIndex(userId), async (markers) => {
      const gone: string[] = [];
      for (const { marker, read } of await this.readAll(markers, timeouts, false)) {
        if (read.kind === 'live') {
          // A list of sign-ins shows their activity, not their leases.
          const { heldUntil: _held, ...record } = read.state;
          found.push(record);
        } else gone.push(marker);
      }
      return gone;
    });
    return found;
  }

  async revoke(target: RevokeTarget): Promise<SecurityState[]> {
    if (!('everyone' in target) && target.signIn !== undefined) {
      // One sign-in: ended only if it is the user's, without walking the user's index.
      if (target.signIn === target.except) return [];
      const owned = await this.runOn(INDEX, this.userIndex(target.userId), ['has', target.signIn]);
      return Number(owned) === 1 ? this.endAll([target.signIn], 'revoked') : [];
    }
    if ('everyone' in target) return this.endEveryone();
    const ended: SecurityState[] = [];
    const index = this.userIndex(target.userId);
    const except = target.except;
    if (except !== undefined && Number(await this.runOn(INDEX, index, ['has', except])) !== 1) {
      // The sign-in asking is live, so its user's index lists it, unless Redis evicted or lost
      // the index: then the walk would miss sign-ins that must end. Fail where the user sees it.
      throw new SessionStoreUnavailableError(
        'end the other sign-ins of',
        "the index of the user's sign-ins in Redis lacks the sign-in asking (Redis evicted or lost it), so its other sign-ins cannot all be found: set maxmemory-policy noeviction",
      );
    }
    // One walk: each batch's sign-ins are ended together (their scripts sent at once).
    await this.walk(index, async (markers) => {
      const chosen = markers.filter((marker) => marker !== except);
      ended.push(...(await this.endAll(chosen, 'revoked')));
      return chosen;
    });
    return ended;
  }

  /**
   * Ends every sign-in of everyone: walks every bucket of due sign-ins (every live sign-in is
   * listed in one of them), and the list of earlier versions if any.
   */
  private async endEveryone(): Promise<SecurityState[]> {
    const { buckets } = await this.buckets('upto');
    const ended: SecurityState[] = [];
    const endEach = async (markers: string[]) => {
      ended.push(...(await this.endAll(markers, 'revoked')));
      return [];
    };
    for (const bucket of buckets) {
      await Promise.all(this.dueKeys(bucket).map((key) => this.walk(key, endEach)));
    }
    await this.walk(this.allIndex, async (markers) => {
      await endEach(markers);
      return markers;
    });
    return ended;
  }

  /**
   * Records the expiry of every listed sign-in past its deadline, bucket by bucket up to the
   * current one: a live sign-in is listed again by its deadline, and a bucket more than a minute
   * past is dropped (one a lister may still be adding to stays for the next sweep). So a sign-in
   * is found expired at the first sweep after its deadline.
   */
  async sweep(timeouts: Timeouts): Promise<SweptSignIn[]> {
    const sentAt = performance.now();
    const { nowMs, buckets } = await this.buckets('upto');
    // Redis's time when a sign-in is listed again (a sweep may take a while).
    const redisNow = () => nowMs + (performance.now() - sentAt);
    const current = bucketOf(nowMs);
    const swept: SweptSignIn[] = [];
    const visit = (bucket: number | undefined) => async (markers: string[]) => {
      const gone: string[] = [];
      const listed: Promise<unknown>[] = [];
      for (const { marker, read } of await this.readAll(markers, timeouts, true)) {
        if (read.kind === 'expired') swept.push({ state: read.state, reason: read.reason });
        if (read.kind !== 'live') {
          gone.push(marker);
          continue;
        }
        const own = timeoutsOf(read.state, timeouts);
        const due = this.dueBucket(deadlineOf(read.state, own), redisNow(), own);
        if (due !== bucket) listed.push(this.listDue(marker, due));
      }
      await Promise.all(listed);
      // A bucket that stays keeps its live sign-ins; a past one is dropped whole afterwards.
      return bucket !== undefined && bucket >= current - 1 ? gone : [];
    };
    for (const bucket of buckets) {
      if (bucket > current) continue;
      await Promise.all(
        this.dueKeys(bucket).map(async (key) => {
          await this.walk(key, visit(bucket));
          if (bucket < current - 1) await this.runOn(INDEX, key, ['drop']);
        }),
      );
      if (bucket < current - 1) await this.buckets('remove', bucket);
    }
    // Sign-ins listed by an earlier version, in one set: each is listed by its due time instead.
    await this.walk(this.allIndex, async (markers) => {
      await visit(undefined)(markers);
      return markers;
    });
    await this.forget(swept.map(({ state }) => state));
    return swept;
  }

  /** Redis's time, and the buckets of due sign-ins up to `bucket` (all without); adds or removes one. */
  private async buckets(
    op: 'upto' | 'add' | 'remove',
    bucket?: number,
  ): Promise<{ nowMs: number; buckets: number[] }> {
    const args = [this.nowArgument(), '0', op, bucket === undefined ? '' : String(bucket)];
    const reply = await this.runOn(BUCKETS, this.bucketsKey, args);
    if (!Array.isArray(reply) || !Array.isArray(reply[1])) throw unexpectedReply('buckets', reply);
    const nowMs = Number(stringOf(reply[0]));
    const buckets = (reply[1] as unknown[]).map((member) => Number(stringOf(member)));
    if (!Number.isFinite(nowMs) || !buckets.every(Number.isInteger)) {
      throw unexpectedReply('buckets', reply);
    }
    return { nowMs, buckets };
  }

  /**
   * The bucket a live sign-in is listed in: its deadline's (with copies, a step later: another
   * instance may hold activity not written yet), no later than the horizon, never a past one.
   */
  private dueBucket(deadline: number, nowMs: number, own: Timeouts): number {
    const slack = this.cache === undefined ? 0 : activityStepMs(own);
    return bucketOf(Math.max(nowMs, Math.min(deadline + slack, nowMs + DUE_HORIZON_MS)));
  }

  /**
   * Lists a live sign-in in a bucket of due sign-ins, and the bucket among those that exist: once
   * per process and bucket every 10 s at most, so that the list of buckets is not written at every
   * sign-in (and again after a lost connection or a loss of Redis's data).
   */
  private async listDue(marker: string, bucket: number): Promise<void> {
    const added = this.bucketsAdded.get(bucket);
    if (added === undefined || Date.now() - added > BUCKET_READD_MS) {
      await this.buckets('add', bucket);
      if (this.bucketsAdded.size >= MAX_BUCKETS_ADDED) this.bucketsAdded.clear();
      this.bucketsAdded.set(bucket, Date.now());
    }
    await this.runOn(INDEX, this.dueKey(bucket, marker), ['add', marker]);
  }

  /** The set of a bucket that lists `marker` (its shard: a hash of the marker). */
  private dueKey(bucket: number, marker: string): string {
    let hash = 0;
    for (let i = 0; i < marker.length; i++) hash = (hash * 31 + marker.charCodeAt(i)) >>> 0;
    return `${this.prefix}due:${bucket}:${hash % DUE_SHARDS}`;
  }

  /** Every set of a bucket. */
  private dueKeys(bucket: number): string[] {
    return Array.from({ length: DUE_SHARDS }, (_, shard) => `${this.prefix}due:${bucket}:${shard}`);
  }
}

/**
 * A record's fields as the read, touch, end and release scripts give them back (lastActivity,
 * startedAt, own timeouts, user, data, agent, then `held` when there is one), as a state.
 */
function stateFromFields(fields: unknown, id: string): SecurityState | undefined {
  if (!Array.isArray(fields) || fields.length < 8) return undefined;
  const [last, start, ...rest] = fields.map(stringOf);
  const lastActivity = Number(last);
  const startedAt = Number(start);
  if (!Number.isFinite(lastActivity) || !Number.isFinite(startedAt)) return undefined;
  return withHeld({ lastActivity, startedAt, id, ...factsFromFields(rest) }, rest[6]);
}

/** The state with its `heldUntil`, from a record's `held` ('' or missing when none). */
function withHeld(state: SecurityState, held: unknown): SecurityState {
  if (held === undefined || held === null) return state;
  const text = stringOf(held);
  const heldUntil = Number(text);
  return text === '' || !Number.isFinite(heldUntil) ? state : { ...state, heldUntil };
}

/**
 * A sign-in's facts from its fields (own expireAfter, warnAfter, absoluteTimeout, user, data,
 * agent; '' or missing when none). Damaged ones are left out: the sign-in keeps the options'.
 */
function factsFromFields(fields: (string | undefined)[]): SignInFacts {
  const [expireAfter, warnAfter, absoluteTimeout, user, data, agent] = fields;
  const raw: Record<string, unknown> = {};
  if (expireAfter) {
    raw.timeouts = {
      expireAfterMs: Number(expireAfter),
      warnAfterMs: Number(warnAfter),
      absoluteTimeoutMs: Number(absoluteTimeout),
    };
  }
  if (user) raw.userId = user;
  if (agent) raw.agent = agent;
  if (data) {
    try {
      raw.data = JSON.parse(data);
    } catch {
      // a damaged attachment is left out of the events, never a reason to fail
    }
  }
  const facts = readFacts(raw);
  return facts === 'invalid' ? {} : facts;
}

/** Reads the read script's reply. */
function readRecordReply(
  reply: unknown,
  id: string,
):
  | { kind: 'gone' | 'ended' }
  | { kind: 'live'; state: SecurityState }
  | { kind: 'expired'; state: SecurityState; reason: 'idle' | 'absolute' } {
  if (!Array.isArray(reply)) throw unexpectedReply('read', reply);
  const kind = stringOf(reply[0]);
  if (kind === 'gone' || kind === 'ended') return { kind };
  if (kind === 'live') {
    const state = stateFromFields(reply.slice(1), id);
    return state ? { kind, state } : { kind: 'gone' };
  }
  const reason = stringOf(reply[1]);
  const state = stateFromFields(reply.slice(2), id);
  if (kind !== 'expired' || !state || (reason !== 'idle' && reason !== 'absolute')) {
    throw unexpectedReply('read', reply);
  }
  return { kind, state, reason };
}

/** Reads the touch script's reply; 'damaged' when the record was not a clock. */
function readTouchReply(
  reply: unknown,
  id: string,
): Touch | { kind: 'missing'; nowMs: number } | 'damaged' {
  if (!Array.isArray(reply)) throw unexpectedReply('touch', reply);
  const kind = stringOf(reply[0]);
  if (kind === 'missing') {
    const nowMs = numberOf(reply[1]);
    if (!Number.isFinite(nowMs)) throw unexpectedReply('touch', reply);
    return { kind, nowMs };
  }
  if (kind === 'ended') {
    const rest = reply.slice(1).map(stringOf);
    if (rest[1] === 'damaged') return 'damaged';
    const reason = rest[0];
    // A reason this version does not know ended the sign-in all the same.
    const ended: Touch = { kind: 'ended', reason: isEndReason(reason) ? reason : 'idle' };
    const found = rest[1] === 'found' ? stateFromFields(reply.slice(3), id) : undefined;
    return found ? { ...ended, found } : ended;
  }
  // Whole-number times come back as integer replies, others as text: Number() reads both exactly.
  const [lastActivity, startedAt, nowMs] = reply.slice(1, 4).map(numberOf);
  if (
    kind !== 'active' ||
    !Number.isFinite(lastActivity) ||
    !Number.isFinite(startedAt) ||
    !Number.isFinite(nowMs)
  ) {
    throw unexpectedReply('touch', reply);
  }
  // Own expireAfter, warnAfter, absoluteTimeout, held, then the user and data when asked.
  const fields = reply.slice(4).map(stringOf);
  const facts = factsFromFields([...fields.slice(0, 3), ...fields.slice(4)]);
  const state = { lastActivity: lastActivity as number, startedAt: startedAt as number, id };
  return {
    kind: 'active',
    state: withHeld({ ...state, ...facts }, fields[3]),
    nowMs: nowMs as number,
  };
}

function isEndReason(value: string | undefined): value is EndReason {
  return value !== undefined && END_REASONS.includes(value);
}

/** A reply element as a number: an integer reply as it is, a text reply parsed. */
function numberOf(value: unknown): number {
  return typeof value === 'number' ? value : Number(stringOf(value));
}

/** A reply element as text (node-redis may map strings to Buffers, whose String() is their text). */
function stringOf(value: unknown): string {
  return typeof value === 'string' ? value : String(value);
}

function unexpectedReply(script: string, reply: unknown): Error {
  return new Error(
    `session-security: unexpected reply from the Redis ${script} script: ${describeValue(reply)}`,
  );
}

/** Rejects when `work` has not settled within `ms`; the late answer, if any, is dropped. */
/**
 * Warns once, at start-up, when Redis may evict the store's records: every one has a TTL, so any
 * policy but `noeviction` (`allkeys-*`, and `volatile-*` too) lets a full Redis delete live
 * sign-ins, which signs those users out. Read through `INFO memory`: managed Redis often
 * disables `CONFIG`. A client not connected yet, or an INFO that fails, says nothing.
 */
async function warnOfEviction(commands: Commands, logger: Logger): Promise<void> {
  if (commands.notReady() !== undefined) return;
  let info: string;
  try {
    info = String(await withTimeout(commands.info(), 1000, 'INFO memory'));
  } catch {
    return;
  }
  const policy = /^maxmemory_policy:(\S+)/m.exec(info)?.[1];
  if (policy === undefined || policy === 'noeviction') return;
  logger.warn(
    `session-security: Redis's maxmemory-policy is ${policy}: a full Redis may evict sign-in records (each has a TTL), which signs their users out. Set maxmemory-policy noeviction (a full Redis then refuses writes, and requests get 503) and give Redis room`,
  );
}

function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`session-security: Redis did not answer ${what} within ${ms} ms`)),
      ms,
    );
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/** A Cluster client by shape: node-redis's createCluster() (masters, isOpen), ioredis's Cluster (nodes()). */
function isCluster(client: unknown): boolean {
  if (client === null || typeof client !== 'object') return false;
  if ('masters' in client && 'isOpen' in client && !('isReady' in client)) return true;
  return typeof (client as { nodes?: unknown }).nodes === 'function';
}

/** Tells node-redis from ioredis, and a single connection or Sentinel from a Cluster, by shape, without importing either. */
function commandsOf(client: unknown): Commands {
  const has = (name: string) =>
    typeof (client as Record<string, unknown> | null)?.[name] === 'function';
  if (client !== null && typeof client === 'object') {
    if (has('evalSha') && has('eval')) {
      const nodeRedis = client as NodeRedisClient;
      const options = (keys: string[], args: string[]) => ({ keys, arguments: args });
      const send = client as {
        sendCommand?: (...args: unknown[]) => Promise<unknown>;
        getMasterNode?: unknown;
      };
      const commands = {
        waitFor(key: string, replicas: number, timeoutMs: number) {
          const wait = ['WAIT', String(replicas), String(timeoutMs)];
          if (typeof send.sendCommand !== 'function') return noCommand('sendCommand');
          // createCluster: routed by key; createSentinel: (isReadonly, args); createClient: (args).
          if (isCluster(client)) return send.sendCommand(key, false, wait);
          if (typeof send.getMasterNode === 'function') return send.sendCommand(false, wait);
          return send.sendCommand(wait);
        },
        evalSha: (sha: string, keys: string[], args: string[]) =>
          nodeRedis.evalSha(sha, options(keys, args)),
        eval: (text: string, keys: string[], args: string[]) =>
          nodeRedis.eval(text, options(keys, args)),
        info: () => nodeRedis.info?.('memory') ?? Promise.resolve(''),
      };
      // createClient() and createSentinel() say isReady; createCluster() only isOpen (each node
      // keeps its own connection, and a command to a node that is down fails within the timeout).
      if ('isReady' in client) {
        return {
          ...commands,
          notReady: () => (nodeRedis.isReady ? undefined : 'isReady is false'),
          cluster: false,
          watch: (lost, ready) => watchEvents(nodeRedis, lost, ready, NODE_REDIS_EVENTS),
        };
      }
      if (isCluster(client)) {
        const cluster = client as unknown as { isOpen: boolean };
        return {
          ...commands,
          notReady: () => (cluster.isOpen ? undefined : 'isOpen is false'),
          cluster: true,
          watch: (lost, ready) => watchEvents(nodeRedis, lost, ready, NODE_REDIS_CLUSTER_EVENTS),
        };
      }
    }
    if (has('evalsha') && has('eval') && typeof (client as IoredisClient).status === 'string') {
      const ioredis = client as IoredisClient;
      // new Cluster([...]) has nodes(); new Redis({ sentinels }) is a single connection.
      const cluster = isCluster(client);
      return {
        notReady: () =>
          ioredis.status === 'ready' ? undefined : `status ${JSON.stringify(ioredis.status)}`,
        evalSha: (sha, keys, args) => ioredis.evalsha(sha, keys.length, ...keys, ...args),
        eval: (text, keys, args) => ioredis.eval(text, keys.length, ...keys, ...args),
        waitFor: (key, replicas, timeoutMs) =>
          ioredisWait(client, cluster ? key : undefined, replicas, timeoutMs),
        cluster,
        info: () => ioredis.info?.('memory') ?? Promise.resolve(''),
        watch: (lost, ready) =>
          watchEvents(ioredis, lost, ready, cluster ? IOREDIS_CLUSTER_EVENTS : IOREDIS_EVENTS),
      };
    }
  }
  throw new SessionSecurityConfigError(
    'client',
    `client (${describeValue(client)}) must be an ioredis 5 client (new Redis(url), new Redis({ sentinels, name }) or new Cluster(nodes)) or a node-redis 5 client (createClient, createSentinel or createCluster), connected`,
  );
}

const noCommand = (name: string) =>
  Promise.reject(new Error(`session-security: the Redis client has no ${name}() for WAIT`));

/** An ioredis connection's generic command. */
type IoredisCall = { call?: (...args: string[]) => Promise<unknown> };

/**
 * `WAIT` through ioredis: on the connection itself, or in a Cluster on the connection of the
 * primary that serves `key`'s slot (the one that ran its script).
 */
function ioredisWait(
  client: unknown,
  key: string | undefined,
  replicas: number,
  timeoutMs: number,
) {
  const args = ['WAIT', String(replicas), String(timeoutMs)];
  let connection = client as IoredisCall;
  if (key !== undefined) {
    const cluster = client as {
      slots?: string[][];
      nodes(role: 'master'): { options: { host?: string; port?: number } }[];
    };
    const address = cluster.slots?.[slotOf(key)]?.[0];
    const node = cluster
      .nodes('master')
      .find(({ options }) => `${options.host}:${options.port}` === address);
    if (node === undefined) {
      return Promise.reject(new Error(`session-security: no known primary serves ${key}'s slot`));
    }
    connection = node as IoredisCall;
  }
  return typeof connection.call === 'function' ? connection.call(...args) : noCommand('call');
}

/** A key's Redis Cluster slot: CRC16 (XMODEM) of the key, or of its {hash tag}, modulo 16384. */
function slotOf(key: string): number {
  const open = key.indexOf('{');
  const close = open < 0 ? -1 : key.indexOf('}', open + 1);
  const hashed = close > open + 1 ? key.slice(open + 1, close) : key;
  let crc = 0;
  for (const byte of Buffer.from(hashed)) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++) {
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    }
  }
  return crc % 16384;
}

/** A subscribed connection as the cache uses it, whichever the client. */
interface Subscription {
  ready(): boolean;
  /** Closed for good (quit or disconnected by the app): the heartbeat stops. */
  closed(): boolean;
  /** Subscribes `onMessage` to `channel` (again after a failure: the same listener is not added twice). */
  subscribe(channel: string, onMessage: (message: string) => void): Promise<unknown>;
  /** Calls `lapse` whenever the connection may have missed a message (lost, reconnecting, back). */
  watch(lapse: () => void): void;
}

/** The subscriber's shape: node-redis (`subscribe(channel, listener)`) or ioredis (`subscribe(channel)` and 'message' events). */
function subscriptionOf(client: unknown): Subscription {
  const candidate = client as Record<string, unknown> | null;
  const has = (name: string) => typeof candidate?.[name] === 'function';
  const watchAll = (lapse: () => void) => {
    const on = candidate?.on as ((event: string, listener: () => void) => unknown) | undefined;
    if (typeof on !== 'function') return;
    for (const event of ['error', 'end', 'close', 'reconnecting', 'ready']) {
      on.call(candidate, event, lapse);
    }
  };
  if (client !== null && typeof client === 'object' && has('subscribe') && has('on')) {
    if ('isReady' in client && 'isOpen' in client) {
      const nodeRedis = client as {
        isReady: boolean;
        isOpen: boolean;
        subscribe(channel: string, listener: (message: unknown) => void): Promise<unknown>;
      };
      const listeners = new Map<string, (message: unknown) => void>();
      return {
        ready: () => nodeRedis.isReady,
        closed: () => !nodeRedis.isOpen,
        subscribe(channel, onMessage) {
          let listener = listeners.get(channel);
          if (listener === undefined) {
            listener = (message) => onMessage(String(message));
            listeners.set(channel, listener);
          }
          return nodeRedis.subscribe(channel, listener);
        },
        watch: watchAll,
      };
    }
    if (typeof (client as { status?: unknown }).status === 'string') {
      const ioredis = client as {
        status: string;
        subscribe(channel: string): Promise<unknown>;
        on(event: 'message', listener: (channel: string, message: unknown) => void): unknown;
      };
      const channels = new Set<string>();
      return {
        ready: () => ioredis.status === 'ready',
        closed: () => ioredis.status === 'end',
        subscribe(channel, onMessage) {
          if (!channels.has(channel)) {
            channels.add(channel);
            ioredis.on('message', (from, message) => {
              if (from === channel) onMessage(String(message));
            });
          }
          return ioredis.subscribe(channel);
        },
        watch: watchAll,
      };
    }
  }
  throw new SessionSecurityConfigError(
    'subscriber',
    `subscriber (${describeValue(client)}) must be a second ioredis or node-redis v5 connection to the same Redis (client.duplicate(), connected)`,
  );
}

/** The stores watching each client: one listener per event on the client, however many stores. */
const watchers = new WeakMap<object, Set<{ lost: () => void; ready: () => void }>>();

/** The events that say a connection was lost, or is ready again, by kind of client. */
interface ClientEvents {
  lost: readonly string[];
  ready: readonly string[];
}
const NODE_REDIS_EVENTS: ClientEvents = { lost: ['error', 'end'], ready: ['ready'] };
const NODE_REDIS_CLUSTER_EVENTS: ClientEvents = {
  lost: ['error', 'disconnect', 'node-error', 'node-disconnect'],
  ready: ['connect', 'node-ready'],
};
const IOREDIS_EVENTS: ClientEvents = { lost: ['error', 'end', 'close'], ready: ['ready'] };
const IOREDIS_CLUSTER_EVENTS: ClientEvents = {
  lost: ['error', 'end', 'close', 'node error', '-node'],
  ready: ['ready'],
};

/**
 * Both clients are event emitters. A lost connection (of any node of a Cluster) sets the latest
 * sign-outs aside to be recorded again; a ready one records them (so does any later reply).
 */
function watchEvents(
  client: { on?: (event: string, listener: () => void) => unknown },
  lost: () => void,
  ready: () => void,
  events: ClientEvents,
) {
  if (typeof client.on !== 'function') return;
  let stores = watchers.get(client);
  if (stores === undefined) {
    const all = new Set<{ lost: () => void; ready: () => void }>();
    stores = all;
    watchers.set(client, all);
    const onLost = () => {
      for (const store of all) store.lost();
    };
    const onReady = () => {
      for (const store of all) store.ready();
    };
    for (const event of events.lost) client.on(event, onLost);
    for (const event of events.ready) client.on(event, onReady);
  }
  stores.add({ lost, ready });
}
