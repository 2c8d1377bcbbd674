// A user's sign-ins, and ending them from elsewhere (docs/guide/operations.md, A user's sign-ins), and the sweep
// that finds the sign-ins nobody came back to.

import { SessionSecurityConfigError, SessionSecurityRequestError } from '../../core/errors.js';
import { crossOriginReason } from '../../core/request.js';
import type { RevokeTarget, SessionAccess } from '../../core/store.js';
import { describeUserAgent } from '../../core/user-agent.js';
import type { RequestFacts, SignInManagement } from '../lifecycle.js';
import { unref } from '../timers.js';
import type { Core } from './core.js';
import { markerIn } from './report.js';

/** The sweep of one lifecycle: `sweep()` now, and `soon()` starts its timer at the first sign-in. */
export function sweeper<Req>({ options, report, store }: Core<Req>) {
  let sweeping: ReturnType<typeof setInterval> | undefined;
  async function sweep(): Promise<number> {
    const sweepIn = store.sweep?.bind(store);
    if (!sweepIn) return 0;
    const swept = await report.reported('sweep', () => sweepIn(options));
    for (const { state, reason } of swept) report.expired(state, reason, 'sweep');
    return swept.length;
  }
  return {
    sweep,
    /** Runs the sweep every `sweepInterval`; the timer never keeps the process alive. */
    soon(): void {
      if (sweeping !== undefined || options.sweepIntervalMs === 0 || !store.sweep) return;
      sweeping = setInterval(() => void sweep().catch(() => undefined), options.sweepIntervalMs);
      unref(sweeping);
    },
  };
}

/** The sign-in management for an adapter's own request type `R`. */
export function signInManagement<Req, R>(
  core: Core<Req>,
  sweep: () => Promise<number>,
  reach: (r: R) => { req: Req; session: SessionAccess; facts: RequestFacts<Req> },
): SignInManagement<R> {
  const { options, report, store } = core;

  /** The store's sign-in methods, or a clear error naming what is missing. */
  function management() {
    const { signIns, revoke } = store;
    if (!signIns || !revoke) {
      throw new SessionSecurityConfigError(
        'store',
        'the store keeps no list of sign-ins (it has no signIns and revoke methods): use the default store or redisStore',
      );
    }
    return { signIns: signIns.bind(store), revoke: revoke.bind(store) };
  }

  /** The request's user, or a 401 for a request that is not signed in. */
  async function userOf(req: Req): Promise<string> {
    if (!options.userId) {
      throw new SessionSecurityConfigError(
        'userId',
        "listing and ending a user's sign-ins needs the userId option: (req) => string giving the signed-in user's id",
      );
    }
    if (!(await options.isAuthenticated(req))) {
      throw new SessionSecurityRequestError(401, 'the request is not signed in');
    }
    const userId = options.userId(req);
    if (typeof userId !== 'string' || userId === '') {
      throw new SessionSecurityRequestError(401, 'userId(req) gave no user id for this request');
    }
    return userId;
  }

  /**
   * The logout route's rule for every sign-out the app makes on a request: a page elsewhere (a
   * form, a beacon) must not end sign-ins.
   */
  function refuseCrossOrigin(r: R): { req: Req; session: SessionAccess } {
    const { req, session, facts } = reach(r);
    crossOriginRefusal(core, facts, session);
    return { req, session };
  }

  /** Ends sign-ins from elsewhere, in one pass over the store's index (one walk, never one per sign-in). */
  async function revoke(target: RevokeTarget): Promise<number> {
    const { revoke: revokeIn } = management();
    const ended = await report.reported('end', () => revokeIn(target, options));
    for (const state of ended) report.signedOut(state, 'revoked');
    return ended.length;
  }

  return {
    async list(r) {
      const { req, session } = reach(r);
      const userId = await userOf(req);
      const current = markerIn(session);
      const { signIns: listOf } = management();
      const records = await report.reported('list', () => listOf(userId, options));
      return records
        .map((record) => ({
          signIn: record.id,
          startedAt: record.startedAt,
          lastActiveAt: record.lastActivity,
          device: record.agent ?? describeUserAgent(undefined),
          current: record.id === current,
        }))
        .sort((a, b) => b.lastActiveAt - a.lastActiveAt);
    },
    async end(r, signIn) {
      const { req } = refuseCrossOrigin(r);
      if (typeof signIn !== 'string' || signIn === '') return false;
      return (await revoke({ userId: await userOf(req), signIn })) > 0;
    },
    async endAll(r, endOptions) {
      const { req, session } = refuseCrossOrigin(r);
      const userId = await userOf(req);
      const current = endOptions?.keepCurrent ? markerIn(session) : undefined;
      return revoke(current === undefined ? { userId } : { userId, except: current });
    },
    async endUser(userId) {
      if (typeof userId !== 'string' || userId === '') {
        throw new TypeError(
          `session-security: endUser(userId) needs a user id, got ${typeof userId}`,
        );
      }
      return revoke({ userId });
    },
    endEveryone: () => revoke({ everyone: true }),
    sweep,
  };
}

/**
 * Refuses a sign-out the app makes on a request from another origin (`signOut`, ending
 * sign-ins), as the logout route does.
 *
 * @throws SessionSecurityRequestError (403) for a request from another origin
 */
export function crossOriginRefusal<Req>(
  { options, report }: Core<Req>,
  facts: RequestFacts<Req>,
  session: SessionAccess,
): void {
  const reason = crossOriginReason(facts.header, facts.appOrigin, options.trustedOrigins);
  if (reason === undefined) return;
  report.refused(facts, session, 'cross-origin');
  throw new SessionSecurityRequestError(403, reason);
}
