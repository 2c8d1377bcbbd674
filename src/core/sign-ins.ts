// A user's sign-ins as an app sees them (docs/guide/operations.md, A user's sign-ins): what `signIns.list(req)`
// gives and what `signIns` can end. Types only.

/** One of a user's live sign-ins, as `signIns.list(req)` gives it. */
export interface SignInSummary {
  /** The sign-in's opaque marker: what `signIns.end(req, signIn)` takes. Never the session id. */
  signIn: string;
  /** When it started, in milliseconds since the epoch. */
  startedAt: number;
  /** Its latest activity, in milliseconds since the epoch. */
  lastActiveAt: number;
  /** A short browser and OS summary, e.g. "Firefox 133 on Linux". */
  device: string;
  /** Whether it is the sign-in of the request that asked. */
  current: boolean;
}

/**
 * A user's sign-ins, and ending them from elsewhere (OWASP ASVS 5.0 V7.4.5, V7.5.2). Needs the
 * `userId` option. An ended sign-in's next request is turned away (its tabs go to the login page
 * at their next ping). Ask for the password again before ending sessions.
 */
export interface SignInManagement<R> {
  /** The live sign-ins of the request's user, the current one marked. */
  list(req: R): Promise<SignInSummary[]>;
  /** Ends one of the request's user's sign-ins; false when the user has no such live sign-in. */
  end(req: R, signIn: string): Promise<boolean>;
  /** Ends every sign-in of the request's user ("sign out everywhere"); `keepCurrent` spares this one. Returns how many ended. */
  endAll(req: R, options?: { keepCurrent?: boolean }): Promise<number>;
  /** Ends every sign-in of a user, e.g. from an admin page or when the password changes. */
  endUser(userId: string): Promise<number>;
  /** Ends every sign-in of every user (after a breach). */
  endEveryone(): Promise<number>;
  /** Finds the sign-ins nobody came back to that are past their deadline now (runs every `sweepInterval` by itself). */
  sweep(): Promise<number>;
}
