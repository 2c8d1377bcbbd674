// Where time enters the library: every module asks an injected clock, never Date directly,
// so tests can move time by hand.

/** A source of the current time in milliseconds since the epoch (like `Date.now()`). */
export interface Clock {
  now(): number;
}

/** The real clock. */
export const systemClock: Clock = { now: () => Date.now() };
