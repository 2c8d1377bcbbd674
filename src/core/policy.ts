// The pure policy for one request of a signed-in session: has it expired, does it record
// activity, what is its status. Pure: no I/O, no clock of its own (now is a parameter).

/** What a sign-in keeps from its start: its own timeouts, whose it is, what the app attached. */
export interface SignInFacts {
  /** The sign-in's own timeouts (per-user options), when the options gave functions. */
  timeouts?: Timeouts;
  /** The user's id (the `userId` option), for events and the list of a user's sign-ins. */
  userId?: string;
  /** The `eventData` the app attached, for events. */
  data?: Readonly<Record<string, string | number | boolean | null>>;
  /** A short browser and OS summary ("Firefox 133 on Linux"), for the list of sign-ins. */
  agent?: string;
}

/** The security state kept per session. Times are milliseconds since the epoch, server clock. */
export interface SecurityState extends SignInFacts {
  /** Time of the latest activity of the session. */
  lastActivity: number;
  /** Time of sign-in, for the absolute timeout. */
  startedAt: number;
  /** An opaque random marker of this sign-in (never the session cookie); tells tabs a sign-in apart. */
  id: string;
  /**
   * Until when leases hold the sign-in (work its user started: an upload, a report), when any
   * did: the latest end of a lease that ended, or the end a live lease may reach. It is not
   * activity: until then the sign-in is idle for no time, and from then its idle time counts
   * (`idleSince`). It never moves the absolute deadline. Kept by the store beside the
   * state, never in the session's copy.
   */
  heldUntil?: number;
}

export type ExpiryReason = 'idle' | 'absolute';

/** The timeouts the policy enforces, in milliseconds (`absoluteTimeoutMs` 0 = off). */
export interface Timeouts {
  expireAfterMs: number;
  warnAfterMs: number;
  absoluteTimeoutMs: number;
}

/** What to do with a request. */
export type Decision =
  | { outcome: 'expired'; reason: ExpiryReason }
  | {
      outcome: 'continue';
      /** The state as it stands after this request. */
      state: SecurityState;
      /** Whether the state must be stored (it is new or recorded activity). */
      write: boolean;
    };

/** The answer of the ping for a live session (docs/reference/protocol.md: The ping protocol); times in seconds. */
export interface ActiveStatus {
  status: 'active';
  idleFor: number;
  warnIn: number;
  expireIn: number;
  expireAfter: number;
  warnAfter: number;
  absolute: boolean;
  session: string;
}

/** Activity is recorded at most once a second, so a busy page does not rewrite its session on every request. */
export const MIN_WRITE_INTERVAL_MS = 1000;

/**
 * How far a stored copy of the last activity may fall behind what the process recording it
 * knows: a hundredth of `expireAfter`, from 1 s to 15 s (9 s at the default 900 s). Used by the
 * default store for the session's copy, and by the Redis store's cache for the record. Within
 * the process nothing is lost; another instance, or this one after a restart, may see a sign-in
 * idle up to this much longer than it is, so it can end that much early, never late.
 */
export function activityStepMs({ expireAfterMs }: Timeouts): number {
  return Math.min(
    MAX_ACTIVITY_STEP_MS,
    Math.max(MIN_WRITE_INTERVAL_MS, Math.round(expireAfterMs / 100)),
  );
}

/** The longest step of {@link activityStepMs}. */
export const MAX_ACTIVITY_STEP_MS = 15_000;

/**
 * Decides one request of a signed-in session.
 *
 * Expiry is checked first, on the stored state: nothing a request carries (a navigation, a
 * ping's `sinceActivity`) can revive a session that has already expired.
 *
 * @param stored - the state read from the session, or undefined on the first tracked request
 * @param nowMs - the server's clock
 * @param activityAtMs - when this request saw activity: `nowMs` for an active request, the
 *   ping's `now - sinceActivity`, or undefined for a passive request
 * @param timeouts - the configured timeouts (a state's own, when it keeps them, win)
 * @param newId - makes the marker of a new sign-in
 * @example
 * ```ts
 * decide({ lastActivity: 0, startedAt: 0, id: 'a' }, 900_000, 900_000, timeouts, randomId);
 * // { outcome: 'expired', reason: 'idle' } with expireAfter 900 s
 * ```
 */
export function decide(
  stored: SecurityState | undefined,
  nowMs: number,
  activityAtMs: number | undefined,
  timeouts: Timeouts,
  newId: () => string,
): Decision {
  if (stored === undefined) {
    return {
      outcome: 'continue',
      state: { lastActivity: nowMs, startedAt: nowMs, id: newId() },
      write: true,
    };
  }
  // Times past now (a clock set back) are read as now: a future lastActivity would stretch
  // the session beyond expireAfter of real time.
  const lastActivity = Math.min(stored.lastActivity, nowMs);
  const startedAt = Math.min(stored.startedAt, nowMs);

  // A sign-in that keeps its own timeouts (per-user options) is judged by them; a lease holds
  // its idle clock, never its absolute one.
  const idleFrom = idleSince({ lastActivity, heldUntil: stored.heldUntil }, nowMs);
  const reason = expiryReason(idleFrom, startedAt, nowMs, timeoutsOf(stored, timeouts));
  if (reason !== undefined) return { outcome: 'expired', reason };

  const state = { ...stored, lastActivity, startedAt };
  // A clamped time is stored back, or the future value would hold the session open again.
  const clamped = lastActivity !== stored.lastActivity || startedAt !== stored.startedAt;
  const reported = activityAtMs === undefined ? undefined : Math.min(activityAtMs, nowMs);
  if (reported === undefined || reported - lastActivity < MIN_WRITE_INTERVAL_MS) {
    return { outcome: 'continue', state, write: clamped };
  }
  return { outcome: 'continue', state: { ...state, lastActivity: reported }, write: true };
}

/** The timeouts a sign-in keeps: its own, or the options' when it has none. */
export function timeoutsOf(state: SignInFacts, defaults: Timeouts): Timeouts {
  return state.timeouts ?? defaults;
}

/**
 * When the sign-in's idle time counts from at `nowMs`: its last activity, or later while a lease
 * holds it (now, until the lease's end; then that end).
 *
 * @example
 * ```ts
 * idleSince({ lastActivity: 1000, heldUntil: 9000 }, 5000); // 5000: held, idle for no time
 * idleSince({ lastActivity: 1000, heldUntil: 9000 }, 12_000); // 9000: idle since the lease ended
 * ```
 */
export function idleSince(
  { lastActivity, heldUntil }: Pick<SecurityState, 'lastActivity' | 'heldUntil'>,
  nowMs: number,
): number {
  return heldUntil === undefined
    ? lastActivity
    : Math.max(lastActivity, Math.min(nowMs, heldUntil));
}

/**
 * When the sign-in ends without more activity: the nearer of its idle and absolute deadlines (a
 * lease's until counted as if it ran to its end).
 */
export function deadlineOf(
  state: Pick<SecurityState, 'lastActivity' | 'startedAt' | 'heldUntil'>,
  { expireAfterMs, absoluteTimeoutMs }: Timeouts,
): number {
  const idle = Math.max(state.lastActivity, state.heldUntil ?? -Infinity) + expireAfterMs;
  return absoluteTimeoutMs > 0 ? Math.min(idle, state.startedAt + absoluteTimeoutMs) : idle;
}

/** Why the session has expired at `nowMs`, or undefined while it lives. When both limits have passed, the one reached first. */
function expiryReason(
  lastActivityMs: number,
  startedAtMs: number,
  nowMs: number,
  { expireAfterMs, absoluteTimeoutMs }: Timeouts,
): ExpiryReason | undefined {
  const idleDeadline = lastActivityMs + expireAfterMs;
  const absoluteDeadline = absoluteTimeoutMs > 0 ? startedAtMs + absoluteTimeoutMs : Infinity;
  if (nowMs < idleDeadline && nowMs < absoluteDeadline) return undefined;
  return absoluteDeadline < idleDeadline ? 'absolute' : 'idle';
}

/**
 * The status of a live session at `nowMs`, as the ping reports it (with the sign-in's own
 * timeouts, when it keeps them).
 *
 * `expireIn` is the nearer of the idle and the absolute deadline; the warning comes the same
 * warning window (`expireAfter - warnAfter`) before either.
 */
export function statusOf(state: SecurityState, nowMs: number, timeouts: Timeouts): ActiveStatus {
  const { expireAfterMs, warnAfterMs, absoluteTimeoutMs } = timeoutsOf(state, timeouts);
  const idleMs = Math.max(0, nowMs - idleSince(state, nowMs));
  const idleRemainingMs = expireAfterMs - idleMs;
  const absoluteRemainingMs =
    absoluteTimeoutMs > 0 ? absoluteTimeoutMs - Math.max(0, nowMs - state.startedAt) : Infinity;
  const expireInMs = Math.max(0, Math.min(idleRemainingMs, absoluteRemainingMs));
  const warningWindowMs = expireAfterMs - warnAfterMs;
  return {
    status: 'active',
    idleFor: idleMs / 1000,
    warnIn: Math.max(0, expireInMs - warningWindowMs) / 1000,
    expireIn: expireInMs / 1000,
    expireAfter: expireAfterMs / 1000,
    warnAfter: warnAfterMs / 1000,
    absolute: absoluteRemainingMs < idleRemainingMs,
    session: state.id,
  };
}

/**
 * The state as the default store keeps it in the session: one string,
 * `lastActivity|startedAt|id`, then `|` and the facts as JSON when there are any. Session
 * middleware hashes, parses and serialises the whole session on every request (express-session
 * hashes it with a replacer called per key): one string costs it a fraction of an object's keys.
 *
 * @example
 * ```ts
 * encodeState({ lastActivity: 1000, startedAt: 500, id: 'abc' }); // '1000|500|abc'
 * ```
 */
export function encodeState(state: SecurityState): string {
  const { lastActivity, startedAt, id, heldUntil: _held, ...facts } = state;
  const base = `${lastActivity}|${startedAt}|${id}`;
  return Object.keys(facts).length === 0 ? base : `${base}|${JSON.stringify(facts)}`;
}

/** Facts parsed from their JSON, by text: a sign-in's facts never change, and are read on every request. */
const parsedFacts = new Map<string, SignInFacts | 'invalid'>();
const MAX_PARSED_FACTS = 10_000;

function decodeState(
  text: string,
  known?: (id: string) => SignInFacts | undefined,
): SecurityState | 'invalid' {
  const first = text.indexOf('|');
  const second = text.indexOf('|', first + 1);
  if (first < 0 || second < 0) return 'invalid';
  const third = text.indexOf('|', second + 1);
  const lastActivity = Number(text.slice(0, first));
  const startedAt = Number(text.slice(first + 1, second));
  const id = third < 0 ? text.slice(second + 1) : text.slice(second + 1, third);
  const empty = first === 0 || second === first + 1;
  if (empty || !isTime(lastActivity) || !isTime(startedAt) || id === '') return 'invalid';
  if (third < 0) return { lastActivity, startedAt, id };
  const sameSignIn = known?.(id);
  if (sameSignIn !== undefined) {
    const { timeouts, userId, data, agent } = sameSignIn;
    const facts: SignInFacts = {};
    if (timeouts !== undefined) facts.timeouts = timeouts;
    if (userId !== undefined) facts.userId = userId;
    if (data !== undefined) facts.data = data;
    if (agent !== undefined) facts.agent = agent;
    return { lastActivity, startedAt, id, ...facts };
  }
  const json = text.slice(third + 1);
  let facts = parsedFacts.get(json);
  if (facts === undefined) {
    let raw: unknown;
    try {
      raw = JSON.parse(json);
    } catch {
      return 'invalid';
    }
    facts =
      raw !== null && typeof raw === 'object' && !Array.isArray(raw)
        ? readFacts(raw as Record<string, unknown>)
        : 'invalid';
    if (parsedFacts.size >= MAX_PARSED_FACTS) parsedFacts.clear();
    parsedFacts.set(json, facts);
  }
  return facts === 'invalid' ? 'invalid' : { lastActivity, startedAt, id, ...facts };
}

/** The sign-in marker a stored value names (either form, or the Redis store's `{ id }`), if any. */
export function markerOfStored(value: unknown): string | undefined {
  if (typeof value === 'string') {
    const state = decodeState(value);
    return state === 'invalid' ? undefined : state.id;
  }
  const id = (value as { id?: unknown } | null | undefined)?.id;
  return typeof id === 'string' && id !== '' ? id : undefined;
}

/**
 * Reads a stored value as a security state.
 *
 * @param value - the string of {@link encodeState}, or an object `{ lastActivity, startedAt, id,
 *   …facts }` (what earlier versions stored)
 * @param known - the facts already known of a sign-in by its marker (a sign-in's facts never
 *   change): then the string's are not parsed again
 * @returns the state, `undefined` when none is stored, or `'invalid'` for a value that is
 *   not a state (the caller treats it as expired: a damaged record must not open a session)
 */
export function readState(
  value: unknown,
  known?: (id: string) => SignInFacts | undefined,
): SecurityState | undefined | 'invalid' {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return decodeState(value, known);
  if (typeof value !== 'object') return 'invalid';
  const record = value as Record<string, unknown>;
  const { lastActivity, startedAt, id } = record;
  if (!isTime(lastActivity) || !isTime(startedAt) || typeof id !== 'string' || id === '') {
    return 'invalid';
  }
  // Read on every request: a state without facts (the usual one) allocates nothing more.
  const plain =
    record.timeouts === undefined &&
    record.userId === undefined &&
    record.data === undefined &&
    record.agent === undefined;
  if (plain) return { lastActivity, startedAt, id };
  const facts = readFacts(record);
  return facts === 'invalid' ? 'invalid' : { lastActivity, startedAt, id, ...facts };
}

const isTime = (t: unknown): t is number => typeof t === 'number' && Number.isFinite(t);

/** The longest timeout a sign-in may keep, in milliseconds: a year, as for the options. */
export const MAX_TIMEOUT_MS = 365 * 24 * 3600 * 1000;

/** Reads a sign-in's facts as stored; damaged timeouts make the whole state invalid (never a looser policy). */
export function readFacts(value: Record<string, unknown>): SignInFacts | 'invalid' {
  const facts: SignInFacts = {};
  const { timeouts, userId, data, agent } = value;
  if (timeouts !== undefined) {
    const t = timeouts as Partial<Record<keyof Timeouts, unknown>> | null;
    const inRange = (ms: unknown, min: number): ms is number =>
      isTime(ms) && ms >= min && ms <= MAX_TIMEOUT_MS;
    const ok =
      t !== null &&
      typeof t === 'object' &&
      inRange(t.expireAfterMs, 1) &&
      inRange(t.warnAfterMs, 0) &&
      inRange(t.absoluteTimeoutMs, 0);
    if (!ok) return 'invalid';
    facts.timeouts = {
      expireAfterMs: t.expireAfterMs as number,
      warnAfterMs: t.warnAfterMs as number,
      absoluteTimeoutMs: t.absoluteTimeoutMs as number,
    };
  }
  if (typeof userId === 'string') facts.userId = userId;
  if (typeof agent === 'string') facts.agent = agent;
  if (data !== null && typeof data === 'object' && !Array.isArray(data)) {
    facts.data = data as SignInFacts['data'];
  }
  return facts;
}

/** A random marker of a sign-in: 128 bits, base64url. Uses Web Crypto, present in Node 20 and browsers. */
export function randomId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll('+', '-').replaceAll('/', '_').replaceAll('=', '');
}
