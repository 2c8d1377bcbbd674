// Ended sign-ins, remembered for as long as they could otherwise still live, so that a session
// saved back by a request that was in flight cannot bring one back. Pure: time is a parameter.

import type { ExpiryReason } from './policy.js';

/** Why a sign-in ended: it expired, its user signed out, or it was ended from elsewhere (revoked). */
export type EndReason = ExpiryReason | 'logout' | 'revoked';

/** Tombstones kept at most, by default: about 100 bytes each, so some 10 MB when full. */
export const DEFAULT_MAX_TOMBSTONES = 100_000;

/**
 * A bounded memory of ended keys (sign-in markers, session ids), each until a deadline.
 *
 * Entries go in with a deadline of now plus a lifetime (the sign-in's expireAfter), so the
 * oldest entry is mostly the first to lapse: lapsed entries are dropped from the front, in
 * amortised constant time. With per-user timeouts lifetimes differ, and a lapsed entry behind a
 * longer-lived one waits for it (or for the bound); `find` checks each entry's own deadline.
 *
 * @example
 * ```ts
 * const ended = new Tombstones();
 * ended.add('marker', 0, 900_000, 'logout');
 * ended.find('marker', 1000); // 'logout'
 * ended.find('marker', 900_000); // undefined: the sign-in could not have lived this long
 * ```
 */
export class Tombstones {
  readonly #entries = new Map<string, { untilMs: number; reason: EndReason }>();
  readonly #maxEntries: number;

  constructor(maxEntries = DEFAULT_MAX_TOMBSTONES) {
    this.#maxEntries = maxEntries;
  }

  /** How many entries are held, lapsed ones included until the next `add`. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * Remembers `key` as ended until `untilMs`.
   *
   * @returns false when the memory was full and a live entry had to be dropped to make room
   */
  add(key: string, nowMs: number, untilMs: number, reason: EndReason): boolean {
    this.#prune(nowMs);
    this.#entries.delete(key); // re-inserted last, in deadline order
    this.#entries.set(key, { untilMs, reason });
    if (this.#entries.size <= this.#maxEntries) return true;
    const oldest = this.#entries.keys().next().value;
    if (oldest !== undefined) this.#entries.delete(oldest);
    return false;
  }

  /** Why `key` ended, or undefined when it is not known as ended at `nowMs`. */
  find(key: string, nowMs: number): EndReason | undefined {
    const entry = this.#entries.get(key);
    return entry !== undefined && nowMs < entry.untilMs ? entry.reason : undefined;
  }

  /** Forgets `key` (a new sign-in started explicitly in the same session). */
  delete(key: string): void {
    this.#entries.delete(key);
  }

  #prune(nowMs: number): void {
    for (const [key, entry] of this.#entries) {
      if (entry.untilMs > nowMs) return;
      this.#entries.delete(key);
    }
  }
}
