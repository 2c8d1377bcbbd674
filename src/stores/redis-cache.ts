// The Redis store's copy of live sign-in records in this process, so that most requests of an
// active sign-in need no round trip. It is trusted only while this process can prove it has heard
// every sign-out published in Redis up to at most `boundMs` ago (docs/guide/redis.md: Several instances:
// the Redis store). Must not: answer from a copy once that proof is older than the bound (Redis stalled,
// the subscription dropped), keep a copy filled by a reply older than an invalidation, or grow
// without limit.

import type { SecurityState, Timeouts } from '../core/policy.js';

/** A live record as Redis last answered it, and the activity this process saw since. */
export interface CachedRecord {
  /** The record's `lastActivity` in Redis, as its reply gave it. */
  storedLast: number;
  /** The latest activity this process answered (at least `storedLast`); written once a step. */
  lastActivity: number;
  /**
   * The sign-in (its startedAt, id, and facts when `withFacts`), `lastActivity` as stored, and its
   * `heldUntil` when leases hold it: a copy's deadline counts it, and a hold or release anywhere
   * publishes the marker, so no copy outlives a change of it.
   */
  state: SecurityState;
  /** Its own timeouts, or the options'. */
  timeouts: Timeouts;
  /** Whether `state` carries the user and data (a step asked withFacts). */
  withFacts: boolean;
  /** When it was filled, on this process's monotonic clock. */
  filledAt: number;
}

/** Markers invalidated lately are remembered this long at least, against replies in flight. */
const IN_FLIGHT_MS_FLOOR = 1000;

/**
 * The copies, with the proof of freshness. A copy may be used at monotonic time `t` only while
 * `t - freshAsOf <= boundMs`, where `freshAsOf` is when this process sent the latest heartbeat it
 * has received back through its subscription: Redis delivers published messages in order, so
 * every sign-out published before that heartbeat has been heard, and its copy dropped.
 */
export class RecordCache {
  private readonly entries = new Map<string, CachedRecord>();
  /** Each invalidation and each clear takes the next generation; a fill names the one it began in. */
  private generation = 0;
  private clearedIn = 0;
  private readonly invalidated = new Map<string, { generation: number; atMs: number }>();
  private freshAsOf = Number.NEGATIVE_INFINITY;

  /**
   * @param boundMs - how old the proof of freshness may be for a copy to be used
   * @param maxEntries - copies kept at most (the oldest go first: a miss, never a wrong answer)
   * @param inFlightMs - how long a reply can take (the command timeout): older replies are dropped anyway
   * @param clock - monotonic milliseconds
   */
  constructor(
    readonly boundMs: number,
    private readonly maxEntries: number,
    private readonly inFlightMs: number,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  /** Whether copies may be used now. */
  fresh(): boolean {
    return this.clock() - this.freshAsOf <= this.boundMs;
  }

  /** Heard back a heartbeat sent at `sentAt`: every message published before it has arrived. */
  confirm(sentAt: number): void {
    if (sentAt > this.freshAsOf) this.freshAsOf = sentAt;
  }

  /** The copy of a marker's record, while copies may be used. */
  get(marker: string): CachedRecord | undefined {
    if (this.entries.size === 0 || !this.fresh()) return undefined;
    return this.entries.get(marker);
  }

  /** The generation a step begins in: its reply may fill the cache only if nothing was invalidated since. */
  begin(): number {
    return this.generation;
  }

  /** Keeps a copy from a reply to a step that began in `generation`, unless the record was invalidated since. */
  fill(marker: string, generation: number, record: Omit<CachedRecord, 'filledAt'>): void {
    if (this.clearedIn > generation) return;
    const invalidated = this.invalidated.get(marker);
    if (invalidated !== undefined && invalidated.generation > generation) return;
    this.entries.delete(marker);
    this.entries.set(marker, { ...record, filledAt: this.clock() });
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }

  /** Drops a copy (a sign-out heard, or made here), and refuses fills from steps begun before. */
  invalidate(marker: string): void {
    this.entries.delete(marker);
    const atMs = this.clock();
    this.generation++;
    this.invalidated.delete(marker);
    this.invalidated.set(marker, { generation: this.generation, atMs });
    // Forget the ones no reply in flight can predate; past the bound of entries, clear instead
    // (a flood of sign-outs costs misses, never a wrong copy, nor unbounded memory).
    const since = atMs - Math.max(this.inFlightMs, IN_FLIGHT_MS_FLOOR);
    for (const [key, { atMs: at }] of this.invalidated) {
      if (at >= since && this.invalidated.size <= this.maxEntries) break;
      this.invalidated.delete(key);
      if (at >= since) {
        this.clear();
        return;
      }
    }
  }

  /**
   * Drops every copy and refuses fills from steps begun before: messages may have been missed (the
   * subscription dropped, a heartbeat went missing). With `stale`, copies stay unusable until the
   * next heartbeat comes back.
   */
  clear(stale = false): void {
    this.entries.clear();
    this.invalidated.clear();
    this.clearedIn = ++this.generation;
    if (stale) this.freshAsOf = Number.NEGATIVE_INFINITY;
  }

  get size(): number {
    return this.entries.size;
  }
}
