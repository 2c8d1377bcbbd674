// The default activity store: a sign-in's clock in the session object, and the memory of live and
// ended sign-ins in this process. Applies the core's policy; holds no framework code.

import { SignInRefusedError } from '../core/errors.js';
import type { Logger } from '../core/options.js';
import {
  activityStepMs,
  deadlineOf,
  decide,
  encodeState,
  randomId,
  readState,
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
import { type EndReason, Tombstones } from '../core/tombstones.js';
import { isPromise, type Maybe } from './maybe.js';

export type { ActivityStore, SessionAccess, Touch } from '../core/store.js';

/** Sign-ins, live and ended within their expireAfter, that one process remembers by default. */
export const DEFAULT_MAX_REMEMBERED_SIGN_INS = 100_000;
/** Sign-ins of one user, live and ended within their expireAfter, remembered by default. */
export const DEFAULT_MAX_REMEMBERED_PER_USER = 100;

/** A clock in milliseconds, where warnings go, and the bounds of the memory of sign-ins. */
export interface SessionObjectStoreOptions {
  now: () => number;
  logger: Logger;
  /** Sign-ins, live and ended, this process remembers at most. Default 100,000. */
  maxSignIns?: number;
  /** Sign-ins of one user (started with a `userId`), live and ended, remembered at most. Default 100. */
  maxSignInsPerUser?: number;
}

/**
 * The default store: the clock lives in the session object (`session.sessionSecurity`), so it is
 * kept wherever the framework keeps sessions; the memory of ended sign-ins, and the list of live
 * ones (for a user's list of sign-ins, revocation and the sweep), live in this process: an
 * instance knows only the sign-ins it has seen since it started.
 *
 * The memory never forgets a sign-in it must remember: an ended one stays until it could no
 * longer live, a live one until it ends. It is bounded by admission instead: a new sign-in is
 * refused (`SignInRefusedError`) while its user holds `maxSignInsPerUser` remembered sign-ins
 * (429), or the process `maxSignIns` (503), so one account cannot push another's out.
 */
export function sessionObjectStore(options: SessionObjectStoreOptions): ActivityStore {
  return new SessionObjectStore(options);
}

/** The store of sessionObjectStore: the memory of this process, and each sign-in's clock in its session. */
class SessionObjectStore implements ActivityStore {
  private readonly ended = new Tombstones();
  private readonly live = new LiveSignIns();
  private readonly now: () => number;
  private readonly logger: SessionObjectStoreOptions['logger'];
  private readonly maxSignIns: number;
  private readonly maxSignInsPerUser: number;
  private lastRefusalLogMs = -Infinity;
  /** A live sign-in's facts, by marker: made once, not per request. */
  private readonly knownFacts = (id: string) => this.live.get(id)?.latest;
  private refusedSinceLog = 0;

  constructor({
    now,
    logger,
    maxSignIns = DEFAULT_MAX_REMEMBERED_SIGN_INS,
    maxSignInsPerUser = DEFAULT_MAX_REMEMBERED_PER_USER,
  }: SessionObjectStoreOptions) {
    this.now = now;
    this.logger = logger;
    this.maxSignIns = maxSignIns;
    this.maxSignInsPerUser = maxSignInsPerUser;
  }

  /**
   * Admits a sign-in this process does not remember yet (a new one, or one from before a restart
   * at its first request), or throws when the memory has no room for it: never forgets another.
   *
   * @throws SignInRefusedError
   */
  private admit(userId: string | undefined, nowMs: number, timeouts: Timeouts): void {
    const full = () =>
      this.live.size + this.ended.owned >= this.maxSignIns
        ? 'memory-full'
        : userId !== undefined &&
            this.live.countOf(userId) + this.ended.countOf(userId) >= this.maxSignInsPerUser
          ? 'user-memory-full'
          : undefined;
    if (full() === undefined) return;
    // Before refusing: what lapsed behind a longer-lived entry, and live sign-ins past their
    // deadline (a copy of one is expired by itself), free their room.
    this.ended.prune(nowMs);
    this.live.dropPast(nowMs, timeouts);
    const reason = full();
    if (reason === undefined) return;
    this.refusedSinceLog++;
    if (nowMs - this.lastRefusalLogMs >= 60_000) {
      this.lastRefusalLogMs = nowMs;
      this.logger.warn(
        `session-security: ${this.refusedSinceLog} sign-in(s) refused since the last report: this process remembers ${this.live.size + this.ended.owned} sign-ins (live, and ended within their expireAfter; at most ${this.maxSignIns} in all and ${this.maxSignInsPerUser} per user: the signInMemory option), and forgets none early. Use the Redis store to remember more`,
      );
      this.refusedSinceLog = 0;
    }
    throw new SignInRefusedError(
      reason,
      reason === 'memory-full'
        ? 'too many sign-ins in too little time: try again in a minute'
        : 'too many sign-ins of this account in too little time: try again later',
    );
  }

  /** Reads the state; a damaged record counts as expired, never as a fresh start. */
  private stored(session: SessionAccess): SecurityState | undefined | 'invalid' {
    // A live sign-in's facts are known: the session's copy of them need not be parsed again.
    const state = readState(session.read(), this.knownFacts);
    if (state === 'invalid') {
      this.logger.error(
        'session-security: the stored security state is damaged; ending the session',
      );
    }
    return state;
  }

  /** Why this session's sign-in already ended, when it has: a copy saved back by a request that was in flight. */
  private endedBefore(
    session: SessionAccess,
    state: SecurityState | undefined | 'invalid',
    nowMs: number,
  ): EndReason | undefined {
    if (this.ended.size === 0) return undefined; // the usual case: no key to build
    const sessionId = session.id();
    const byMarker =
      state !== undefined && state !== 'invalid'
        ? this.ended.find(markerKey(state.id), nowMs)
        : undefined;
    return (
      byMarker ??
      (sessionId === undefined ? undefined : this.ended.find(sessionKey(sessionId), nowMs))
    );
  }

  /**
   * Remembers a sign-in as ended, by its marker and by its session id, for as long as it could
   * otherwise live: no copy of it holds a `lastActivity` later than now, so none outlives
   * now + expireAfter (nor its absolute deadline).
   */
  private bury(
    state: SecurityState | undefined | 'invalid',
    sessionId: string | undefined,
    nowMs: number,
    reason: EndReason,
    defaults: Timeouts,
  ): void {
    const valid = state !== undefined && state !== 'invalid' ? state : undefined;
    const { expireAfterMs, absoluteTimeoutMs } = valid ? timeoutsOf(valid, defaults) : defaults;
    const idleUntil = nowMs + expireAfterMs;
    if (valid) {
      this.live.delete(valid.id);
      const absoluteUntil =
        absoluteTimeoutMs > 0 ? valid.startedAt + absoluteTimeoutMs : Number.POSITIVE_INFINITY;
      const until = Math.min(idleUntil, absoluteUntil);
      // Counted once per sign-in, by its marker; the session id goes along uncounted.
      if (until > nowMs) this.ended.add(markerKey(valid.id), nowMs, until, reason, ownerOf(valid));
    }
    // A session that comes back without a clock must not start a new one for this sign-in.
    if (sessionId !== undefined) this.ended.add(sessionKey(sessionId), nowMs, idleUntil, reason);
  }

  /**
   * A slow request saves its copy of the session at its end, over the activity a ping or another
   * request recorded meanwhile: the latest time this process recorded wins over the copy's.
   */
  private withLatest(state: SecurityState | undefined, nowMs: number) {
    if (state === undefined) return state;
    const entry = this.live.get(state.id);
    if (entry === undefined) return state;
    const known = entry.state.lastActivity;
    const latest =
      known > state.lastActivity ? { ...state, lastActivity: Math.min(known, nowMs) } : state;
    // Its leases live in this process only, beside the state.
    return entry.heldUntil === undefined ? latest : { ...latest, heldUntil: entry.heldUntil };
  }

  /** Starts a sign-in's clock in the session, with its facts, and lists it as this.live. */
  private async begin(
    session: SessionAccess,
    nowMs: number,
    timeouts: Timeouts,
    facts: SignInFacts | undefined,
  ) {
    this.admit(facts?.userId, nowMs, timeouts);
    const state: SecurityState = {
      lastActivity: nowMs,
      startedAt: nowMs,
      id: randomId(),
      ...facts,
    };
    await session.write(encodeState(state));
    this.live.set(state, session.id());
    return state;
  }

  /** Synchronous unless the session's write is not (every adapter's but the web entry's is). */
  touch(
    session: SessionAccess,
    activityOffsetMs: number | undefined,
    timeouts: Timeouts,
  ): Maybe<Touch> {
    const nowMs = this.now();
    const state = this.stored(session);
    const endedBefore = this.endedBefore(session, state, nowMs);
    if (endedBefore !== undefined) return { kind: 'ended', reason: endedBefore };
    if (state === 'invalid') {
      this.bury(state, session.id(), nowMs, 'idle', timeouts);
      return { kind: 'ended', reason: 'idle' };
    }
    const restored = this.withLatest(state, nowMs);
    const activityAt = activityOffsetMs === undefined ? undefined : nowMs - activityOffsetMs;
    // The sign-in's first tracked request starts its clock (no start() was called).
    const decision = decide(restored, nowMs, activityAt, timeouts, randomId);
    if (decision.outcome === 'expired') {
      this.bury(state, session.id(), nowMs, decision.reason, timeouts);
      return { kind: 'ended', reason: decision.reason, ...(restored && { found: restored }) };
    }
    const next = decision.state;
    // This process knows the latest activity to the second (`live`, which every answer uses);
    // the session's copy is rewritten only when it falls a step behind, so that a busy user
    // does not cost a session save every second (see activityStepMs).
    const copyStale =
      state === undefined ||
      next.startedAt !== state.startedAt ||
      next.lastActivity < state.lastActivity ||
      next.lastActivity - state.lastActivity >= activityStepMs(timeoutsOf(next, timeouts));
    const written = copyStale ? session.write(encodeState(next)) : undefined;
    return isPromise(written)
      ? written.then(() => this.list(session, next, decision.write, nowMs, timeouts))
      : this.list(session, next, decision.write, nowMs, timeouts);
  }

  /** After a step: a live sign-in listed, with its latest activity; returns the step's answer. */
  private list(
    session: SessionAccess,
    next: SecurityState,
    moved: boolean,
    nowMs: number,
    timeouts: Timeouts,
  ): Touch {
    // Listed as live: a sign-in from before a restart is listed at its first request. (The
    // session's copy lagging behind, the usual case, is no news to `live`.)
    if (!this.live.has(next.id)) {
      // Not remembered yet (a sign-in from before a restart): admitted like a new one; while
      // the memory has no room its requests are refused (503), never left unlisted.
      this.admit(next.userId, nowMs, timeouts);
      this.live.set(next, session.id());
    } else if (moved) this.live.set(next, session.id());
    return { kind: 'active', state: next, nowMs };
  }

  async prepare(
    session: SessionAccess,
    timeouts: Timeouts,
    facts?: SignInFacts,
  ): Promise<SecurityState | undefined> {
    if (session.read() !== undefined) return undefined;
    const nowMs = this.now();
    if (this.endedBefore(session, undefined, nowMs) !== undefined) return undefined;
    return this.begin(session, nowMs, timeouts, facts);
  }

  async start(
    session: SessionAccess,
    timeouts: Timeouts,
    facts?: SignInFacts,
  ): Promise<Touch & { kind: 'active' }> {
    const nowMs = this.now();
    const state = await this.begin(session, nowMs, timeouts, facts);
    // An explicit new sign-in in a session whose earlier sign-in ended (a logout hook that
    // kept the session id): the session id is free again; the old marker stays this.ended.
    const sessionId = session.id();
    if (sessionId !== undefined) this.ended.delete(sessionKey(sessionId));
    return { kind: 'active', state, nowMs };
  }

  async end(
    session: SessionAccess,
    reason: EndReason,
    timeouts: Timeouts,
  ): Promise<SecurityState | undefined> {
    const nowMs = this.now();
    const state = this.stored(session);
    const already = this.endedBefore(session, state, nowMs) !== undefined;
    this.bury(state, session.id(), nowMs, reason, timeouts);
    return already || state === undefined || state === 'invalid'
      ? undefined
      : this.withLatest(state, nowMs);
  }

  peek(session: SessionAccess, timeouts: Timeouts): Touch | undefined {
    const nowMs = this.now();
    const state = readState(session.read());
    if (state === undefined || state === 'invalid') return undefined;
    const endedBefore = this.endedBefore(session, state, nowMs);
    if (endedBefore !== undefined) return { kind: 'ended', reason: endedBefore };
    const decision = decide(this.withLatest(state, nowMs), nowMs, undefined, timeouts, randomId);
    return decision.outcome === 'expired'
      ? { kind: 'ended', reason: decision.reason }
      : { kind: 'active', state: decision.state, nowMs };
  }

  async endedReason(marker: string): Promise<EndReason | undefined> {
    return this.ended.find(markerKey(marker), this.now());
  }

  async signIns(userId: string, timeouts: Timeouts): Promise<SignInRecord[]> {
    const nowMs = this.now();
    return this.live
      .ofUser(userId)
      .filter(({ state }) => nowMs < deadlineOf(state, timeoutsOf(state, timeouts)))
      .map(({ state: { heldUntil: _held, ...state } }) => state);
  }

  async revoke(target: RevokeTarget, timeouts: Timeouts): Promise<SecurityState[]> {
    const nowMs = this.now();
    const chosen =
      'everyone' in target
        ? this.live.all()
        : this.live
            .ofUser(target.userId)
            .filter(
              ({ state }) =>
                (target.signIn === undefined || state.id === target.signIn) &&
                state.id !== target.except,
            );
    return chosen.map(({ state, sessionId }) => {
      this.bury(state, sessionId, nowMs, 'revoked', timeouts);
      return state;
    });
  }

  async hold(session: SessionAccess, lease: LeaseRequest, timeouts: Timeouts): Promise<Held> {
    const step = await this.touch(session, undefined, timeouts);
    if (step.kind !== 'active') return step;
    const entry = this.live.get(step.state.id);
    // touch() lists every live sign-in it answers for.
    if (entry === undefined) throw new Error('session-security: a live sign-in is not listed');
    const nowMs = this.now();
    if (!entry.takeLease(lease.id, nowMs + lease.forMs, nowMs)) return { kind: 'too-many' };
    return { kind: 'active', state: { ...step.state, heldUntil: entry.heldUntil }, nowMs };
  }

  async release(
    marker: string,
    lease: string,
    timeouts: Timeouts,
  ): Promise<SecurityState | undefined> {
    const nowMs = this.now();
    if (this.ended.find(markerKey(marker), nowMs) !== undefined) return undefined;
    const entry = this.live.get(marker);
    if (entry === undefined) return undefined;
    if (decide(entry.state, nowMs, undefined, timeouts, randomId).outcome === 'expired') {
      return undefined;
    }
    return entry.endLease(lease, nowMs) ? entry.state : undefined;
  }

  async sweep(timeouts: Timeouts): Promise<SweptSignIn[]> {
    const nowMs = this.now();
    const swept: SweptSignIn[] = [];
    for (const { state, sessionId } of this.live.all()) {
      const decision = decide(state, nowMs, undefined, timeouts, randomId);

      if (decision.outcome !== 'expired') continue;
      this.bury(state, sessionId, nowMs, decision.reason, timeouts);
      swept.push({ state, reason: decision.reason });
    }
    return swept;
  }
}

/** The keys of an ended sign-in in the memory: by its marker, and by its session id. */
const markerKey = (id: string) => `m:${id}`;
const sessionKey = (id: string) => `s:${id}`;
/** The owner an ended sign-in is counted for: its user, or '' for sign-ins without one. */
const ownerOf = (state: SecurityState) => state.userId ?? '';

/**
 * The leases of one live sign-in in this process: the live ones by id with the end each may
 * reach, and the latest end of one that ended.
 */
class Leases {
  readonly #live = new Map<string, number>();
  #endedAt = Number.NEGATIVE_INFINITY;

  /** Until when they hold the sign-in (the state's `heldUntil`). */
  get until(): number {
    let until = this.#endedAt;
    for (const end of this.#live.values()) if (end > until) until = end;
    return until;
  }

  /** Takes a lease to `untilMs`, unless the sign-in holds as many as it may. */
  take(id: string, untilMs: number, nowMs: number): boolean {
    this.#lapse(nowMs);
    if (this.#live.size >= MAX_LEASES_PER_SIGN_IN && !this.#live.has(id)) return false;
    this.#live.set(id, untilMs);
    return true;
  }

  /**
   * Ends a lease now (or at its own end, when that came first); false when no live lease has that
   * id (none, or one that lapsed: it ended at its end, not now).
   */
  end(id: string, nowMs: number): boolean {
    const until = this.#live.get(id);
    if (until === undefined) return false;
    this.#live.delete(id);
    this.#endedAt = Math.max(this.#endedAt, Math.min(until, nowMs));
    return until > nowMs;
  }

  /** Forgets the leases past their end: their end stays as the latest one. */
  #lapse(nowMs: number): void {
    for (const [id, until] of this.#live) if (until <= nowMs) this.end(id, nowMs);
  }
}

/** A live sign-in in this process: its latest state, its session's id, its leases. */
class LiveEntry {
  #leases: Leases | undefined;

  constructor(
    public latest: SecurityState,
    public sessionId: string | undefined,
  ) {}

  /** The state, held by its leases when it has any. */
  get state(): SecurityState {
    const heldUntil = this.heldUntil;
    return heldUntil === undefined ? this.latest : { ...this.latest, heldUntil };
  }

  get heldUntil(): number | undefined {
    return this.#leases?.until;
  }

  takeLease(id: string, untilMs: number, nowMs: number): boolean {
    this.#leases ??= new Leases();
    return this.#leases.take(id, untilMs, nowMs);
  }

  /** Ends a live lease; false when there is none by that id. */
  endLease(id: string, nowMs: number): boolean {
    return this.#leases?.end(id, nowMs) ?? false;
  }
}

/**
 * The live sign-ins this process has seen, with the latest activity it recorded for each (so
 * that a copy of the session saved back by a slow request cannot move it back) and their leases,
 * by marker and by user. Unbounded by itself: the store admits sign-ins into it (see `admit`), and
 * each holds {@link MAX_LEASES_PER_SIGN_IN} live leases at most.
 */
class LiveSignIns {
  readonly #entries = new Map<string, LiveEntry>();
  readonly #byUser = new Map<string, Set<string>>();

  get size(): number {
    return this.#entries.size;
  }

  get(id: string): LiveEntry | undefined {
    return this.#entries.get(id);
  }

  has(id: string): boolean {
    return this.#entries.has(id);
  }

  /** How many live sign-ins of `userId` are held. */
  countOf(userId: string): number {
    return this.#byUser.get(userId)?.size ?? 0;
  }

  /** Records a sign-in's state; the latest activity recorded wins over an older copy's. */
  set(state: SecurityState, sessionId: string | undefined): void {
    const { heldUntil: _held, ...plain } = state;
    const known = this.#entries.get(state.id);
    if (known === undefined) {
      this.#entries.set(state.id, new LiveEntry(plain, sessionId));
      if (state.userId !== undefined) {
        const markers = this.#byUser.get(state.userId) ?? new Set<string>();
        markers.add(state.id);
        this.#byUser.set(state.userId, markers);
      }
      return;
    }
    const lastActivity = Math.max(plain.lastActivity, known.latest.lastActivity);
    known.latest = lastActivity === plain.lastActivity ? plain : { ...plain, lastActivity };
    known.sessionId = sessionId ?? known.sessionId;
  }

  /**
   * Drops the sign-ins past their deadline at `nowMs` (nobody came back to them; a copy of one
   * is expired by itself, since none holds a later activity than this memory).
   */
  dropPast(nowMs: number, defaults: Timeouts): void {
    for (const [id, { state }] of this.#entries) {
      if (nowMs >= deadlineOf(state, timeoutsOf(state, defaults))) this.delete(id);
    }
  }

  delete(id: string): void {
    const entry = this.#entries.get(id);
    if (entry === undefined) return;
    this.#entries.delete(id);
    const userId = entry.state.userId;
    if (userId === undefined) return;
    const markers = this.#byUser.get(userId);
    markers?.delete(id);
    if (markers?.size === 0) this.#byUser.delete(userId);
  }

  ofUser(userId: string) {
    const markers = this.#byUser.get(userId) ?? [];
    return [...markers].flatMap((id) => this.#entries.get(id) ?? []);
  }

  all() {
    return [...this.#entries.values()];
  }
}
