// Ended sign-ins, remembered for as long as they could otherwise still live, so that a session
// saved back by a request that was in flight cannot bring one back. Pure: time is a parameter.

import type { ExpiryReason } from './policy.js';

/**
 * Why a sign-in ended: it expired, its user signed out, it was ended from elsewhere (revoked), or
 * its record vanished from the store before its deadline (lost: Redis evicted or lost data).
 */
export type EndReason = ExpiryReason | 'logout' | 'revoked' | 'lost';

/**
 * A memory of ended keys (sign-in markers, session ids), each until a deadline, counted by owner.
 *
 * It never forgets a key before its deadline: its size is bounded by whoever admits what goes in
 * (the default store admits a sign-in only while its memory has room, and each admitted sign-in
 * ends at most once). Entries go in with a deadline of now plus a lifetime (the sign-in's
 * expireAfter), so the oldest entry is mostly the first to lapse: lapsed entries are dropped from
 * the front, in amortised constant time. With per-user timeouts lifetimes differ, and a lapsed
 * entry behind a longer-lived one waits for the next `prune` (or the front to reach it); `find`
 * checks each entry's own deadline.
 *
 * @example
 * ```ts
 * const ended = new Tombstones();
 * ended.add('marker', 0, 900_000, 'logout', 'ada');
 * ended.find('marker', 1000); // 'logout'
 * ended.countOf('ada'); // 1
 * ended.find('marker', 900_000); // undefined: the sign-in could not have lived this long
 * ```
 */
export class Tombstones {
  readonly #entries = new Map<string, { untilMs: number; reason: EndReason; owner?: string }>();
  readonly #owners = new Map<string, number>();
  #owned = 0;

  /** How many entries are held, lapsed ones included until they are pruned. */
  get size(): number {
    return this.#entries.size;
  }

  /** How many entries with an owner are held (the default store: ended sign-ins). */
  get owned(): number {
    return this.#owned;
  }

  /** How many entries `owner` holds. */
  countOf(owner: string): number {
    return this.#owners.get(owner) ?? 0;
  }

  /**
   * Remembers `key` as ended until `untilMs`, counted for `owner` when given. Drops the entries at
   * the front that have lapsed by `nowMs`.
   */
  add(key: string, nowMs: number, untilMs: number, reason: EndReason, owner?: string): void {
    this.#dropFront(nowMs);
    this.delete(key); // re-inserted last, in deadline order
    this.#entries.set(key, owner === undefined ? { untilMs, reason } : { untilMs, reason, owner });
    if (owner !== undefined) this.#count(owner, 1);
  }

  /** Why `key` ended, or undefined when it is not known as ended at `nowMs`. */
  find(key: string, nowMs: number): EndReason | undefined {
    const entry = this.#entries.get(key);
    return entry !== undefined && nowMs < entry.untilMs ? entry.reason : undefined;
  }

  /** Forgets `key` (a new sign-in started explicitly in the same session). */
  delete(key: string): void {
    const entry = this.#entries.get(key);
    if (entry === undefined) return;
    this.#entries.delete(key);
    if (entry.owner !== undefined) this.#count(entry.owner, -1);
  }

  /** Drops every entry that has lapsed by `nowMs`, wherever it stands: O(size). */
  prune(nowMs: number): void {
    for (const [key, entry] of this.#entries) if (entry.untilMs <= nowMs) this.delete(key);
  }

  #dropFront(nowMs: number): void {
    for (const [key, entry] of this.#entries) {
      if (entry.untilMs > nowMs) return;
      this.delete(key);
    }
  }

  #count(owner: string, by: 1 | -1): void {
    const count = (this.#owners.get(owner) ?? 0) + by;
    if (count === 0) this.#owners.delete(owner);
    else this.#owners.set(owner, count);
    this.#owned += by;
  }
}
