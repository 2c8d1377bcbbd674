// What the lifecycle tells the app: audit events (docs/guide/operations.md, Audit events) to `onEvent` and the
// metrics, and the log lines of failures, each kind at most once a minute (whoever sends the
// requests sets their rate). Nothing here can fail or delay a request.

import { SignInRefusedError } from '../../core/errors.js';
import {
  describeFailure,
  type EventBase,
  type RefusedReason,
  type SessionSecurityEvent,
  type SignedOutEvent,
  type SignInLostEvent,
  type StoreFailedEvent,
  type TraceWhy,
} from '../../core/events.js';
import type { ResolvedOptions } from '../../core/options.js';
import {
  deadlineOf,
  idleSince,
  markerOfStored,
  type SecurityState,
  type SignInFacts,
  statusOf,
  timeoutsOf,
} from '../../core/policy.js';
import { type Answer, answers } from '../../core/protocol.js';
import { passiveRuleIndex } from '../../core/request.js';
import type { SessionAccess } from '../../core/store.js';
import { logThrottle } from '../../core/throttle.js';
import type { EndReason } from '../../core/tombstones.js';
import { describeEvent } from '../../core/trace.js';
import { isPromise, type Maybe } from '../maybe.js';
import { jsonReply, type Outcome } from '../outcome.js';

/** The marker the session names, if any (for events about a request, never the session id). */
export function markerIn(session: SessionAccess): string | undefined {
  if (!session.exists()) return undefined;
  return markerOfStored(session.read());
}

/** The result of a store operation run for a request: its value, or the answer to send. */
export type Guarded<T> =
  | { ok: true; value: T }
  | { ok: false; outcome: Outcome; refused?: SignInRefusedError };

/** A refused sign-in, as the request that met the refusal is answered. */
function refusedAnswer(error: SignInRefusedError): Answer {
  return {
    status: error.status,
    headers: { ...error.headers },
    body: { status: 'error', error: error.message },
  };
}

/** A `passive` rule as a trace names it. */
function ruleName(rule: unknown): string {
  return typeof rule === 'string' ? rule : rule instanceof RegExp ? String(rule) : 'a function';
}

/** The events and log lines of one lifecycle. */
export class Report {
  /** Whether anyone listens to events (an `onEvent` hook or metrics): else none is made. */
  readonly observed: boolean;
  private readonly throttle = logThrottle();
  /** Refusals already reported: a refusal is reported once on its way up. */
  private readonly reportedRefusals = new WeakSet<SignInRefusedError>();

  constructor(private readonly options: ResolvedOptions<never>) {
    this.observed = options.onEvent !== undefined || options.metrics !== undefined || options.trace;
  }

  now(): number {
    return this.options.clock.now();
  }

  /** Hands an event to the hook and the metrics; neither is awaited, and neither can fail a request. */
  emit(event: SessionSecurityEvent): void {
    if (!this.observed) return;
    const { metrics, onEvent, trace, logger } = this.options;
    if (trace) logger.info?.(`session-security: ${describeEvent(event)}`);
    try {
      metrics?.event(event);
    } catch (error) {
      this.hookFailed('the metrics recorder', error);
    }
    if (onEvent === undefined) return;
    try {
      const result = onEvent(event);
      if (result instanceof Promise) {
        result.catch((error: unknown) => this.hookFailed('onEvent', error));
      }
    } catch (error) {
      this.hookFailed('onEvent', error);
    }
  }

  /** Logs a failing hook or recorder, once per kind of failure a minute. */
  hookFailed(what: string, error: unknown): void {
    const count = this.throttle(`${what}: ${describeFailure(error)}`, this.now());
    if (count !== undefined) {
      this.options.logger.error(
        `session-security: ${what} failed (${count} time(s) since the last report)`,
        error,
      );
    }
  }

  /** What every event of a sign-in carries: its marker, and what was kept of it at sign-in. */
  about(state: SignInFacts & { id: string }): Omit<EventBase, 'at'> & { signIn: string } {
    return {
      signIn: state.id,
      ...(state.userId !== undefined && { userId: state.userId }),
      ...(state.data !== undefined && { data: state.data }),
    };
  }

  /**
   * With the `trace` option: what a request of a live sign-in did to its clock, and why (the
   * passive rule it matched, the input a ping reported).
   */
  traced(
    request: { method: string; path: string; req?: unknown },
    state: SecurityState,
    nowMs: number,
    why: TraceWhy,
    detail?: string,
  ): void {
    const counted = why === 'request' || why === 'ping' || why === 'stay' ? 'activity' : 'passive';
    const status = statusOf(state, nowMs, this.options);
    const rule =
      why === 'passive-rule'
        ? passiveRuleIndex(request.req as never, request.path, this.options.passive)
        : -1;
    const ruleText = rule < 0 ? undefined : ruleName(this.options.passive[rule]);
    this.emit({
      type: 'trace',
      at: this.now(),
      ...this.about(state),
      method: request.method,
      path: request.path,
      counted,
      why,
      ...(ruleText !== undefined && { detail: `passive[${rule}] ${ruleText}` }),
      ...(detail !== undefined && { detail }),
      idleFor: status.idleFor,
      expireIn: status.expireIn,
      ...(state.heldUntil !== undefined && state.heldUntil > nowMs && { held: true as const }),
    });
  }

  /** With the `trace` option: a request that found its sign-in over, and why. */
  tracedEnd(
    request: { method: string; path: string },
    signIn: SignInFacts & { id: string },
    reason: EndReason,
  ): void {
    this.emit({
      type: 'trace',
      at: this.now(),
      ...this.about(signIn),
      method: request.method,
      path: request.path,
      counted: 'ended',
      why: 'ended',
      reason,
    });
  }

  /** Reports a request the library turned away (with the marker its session names, if any). */
  refused(
    request: { method: string; path: string },
    session: SessionAccess | undefined,
    reason: RefusedReason,
  ): void {
    if (!this.observed) return;
    const signIn = session && markerIn(session);
    this.emit({
      type: 'refused',
      at: this.now(),
      reason,
      method: request.method,
      path: request.path,
      ...(signIn !== undefined && { signIn }),
    });
  }

  /** Reports a new sign-in the library refused (the error `start` throws, or a sign-in ended at once). */
  signInRefused(userId: string | undefined, error: SignInRefusedError): void {
    if (this.reportedRefusals.has(error)) return;
    this.reportedRefusals.add(error);
    this.emit({
      type: 'sign-in-refused',
      at: this.now(),
      reason: error.reason,
      ...(userId !== undefined && { userId }),
    });
  }

  /** Reports a store failure: one log line per kind of failure a minute, an event each time. */
  failed(name: StoreFailedEvent['operation'], error: unknown): void {
    const kind = describeFailure(error);
    this.emit({ type: 'store-failed', at: this.now(), operation: name, error: kind });
    const count = this.throttle(`store: ${kind}`, this.now());
    if (count !== undefined) {
      this.options.logger.error(
        `session-security: the store failed (${count} request(s) answered 503 since the last report of this failure)`,
        error,
      );
    }
  }

  countPing(method: 'GET' | 'POST'): void {
    try {
      this.options.metrics?.ping(method);
    } catch (error) {
      this.hookFailed('the metrics recorder', error);
    }
  }

  /** Runs a store operation for a request; a failure is logged and answered 503, never a sign-out nor a pass. */
  async guarded<T>(
    operation: () => T | Promise<T>,
    name: StoreFailedEvent['operation'],
  ): Promise<Guarded<T>> {
    return this.guard(operation, name);
  }

  /** {@link guarded}, synchronous while the operation is: no promise for a store that answers at once. */
  guard<T>(operation: () => Maybe<T>, name: StoreFailedEvent['operation']): Maybe<Guarded<T>> {
    let value: Maybe<T>;
    try {
      value = operation();
    } catch (error) {
      return this.failure(error, name);
    }
    return isPromise(value)
      ? value.then(
          (settled): Guarded<T> => ({ ok: true, value: settled }),
          (error: unknown) => this.failure(error, name),
        )
      : { ok: true, value };
  }

  private failure(error: unknown, name: StoreFailedEvent['operation']): Guarded<never> {
    if (error instanceof SignInRefusedError) {
      // Not a failure: the store has no room for one more sign-in (reported as refused).
      this.signInRefused(undefined, error);
      return { ok: false, outcome: jsonReply(refusedAnswer(error)), refused: error };
    }
    this.failed(name, error);
    return { ok: false, outcome: jsonReply(answers.unavailable()) };
  }

  /** Runs a store operation for the app (not for a request): a failure is reported, then thrown. */
  async reported<T>(name: StoreFailedEvent['operation'], operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      this.failed(name, error);
      throw error;
    }
  }

  /**
   * Reports a sign-in the store lost (its record vanished before its deadline): an event each
   * time, one log line a minute, since a flush or eviction loses many at once.
   */
  lost(signIn: string | undefined, foundBy: SignInLostEvent['foundBy']): void {
    if (signIn !== undefined) this.emit({ type: 'sign-in-lost', at: this.now(), signIn, foundBy });
    const count = this.throttle(`lost: ${foundBy}`, this.now());
    if (count === undefined) return;
    this.options.logger.error(
      foundBy === 'request'
        ? `session-security: ${count} sign-in(s) had no record in the store before their deadline (lost: the store evicted or lost data), and were signed out with reason lost; give Redis maxmemory-policy noeviction and persistence`
        : `session-security: ${count} ping(s) named a sign-in the store has no record of (lost, or ended more than graceSeconds ago), and were told reason lost`,
    );
  }

  signedIn(state: SecurityState): void {
    if (!this.observed) return;
    const t = timeoutsOf(state, this.options);
    this.emit({
      type: 'signed-in',
      at: this.now(),
      ...this.about(state),
      expireAfter: t.expireAfterMs / 1000,
      warnAfter: t.warnAfterMs / 1000,
      absoluteTimeout: t.absoluteTimeoutMs / 1000,
    });
  }

  expired(state: SecurityState, reason: 'idle' | 'absolute', foundBy: 'request' | 'sweep'): void {
    if (!this.observed) return;
    const endedAt = deadlineOf(state, timeoutsOf(state, this.options));
    const { heldUntil } = state;
    this.emit({
      type: 'expired',
      at: this.now(),
      ...this.about(state),
      reason,
      idleSeconds: Math.max(0, endedAt - idleSince(state, endedAt)) / 1000,
      ...(heldUntil !== undefined && { leaseEndedAt: Math.min(heldUntil, endedAt) }),
      lengthSeconds: Math.max(0, endedAt - state.startedAt) / 1000,
      endedAt,
      foundBy,
    });
  }

  signedOut(state: SecurityState | undefined, how: SignedOutEvent['how']): void {
    if (!this.observed || state === undefined) return;
    const at = this.now();
    const lengthSeconds = Math.max(0, at - state.startedAt) / 1000;
    this.emit({ type: 'signed-out', at, ...this.about(state), how, lengthSeconds });
  }

  /** Logs a request without a session, at most once a minute: a client can send many. */
  missingSession(): void {
    const count = this.throttle('no session', this.now());
    if (count === undefined) return;
    this.options.logger.error(
      `session-security: ${count} request(s) had no session: mount the session middleware before session-security, and check its store`,
    );
  }
}
