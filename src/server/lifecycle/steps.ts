// The steps a request takes on the store and its session, shared by the library's routes and the
// app's requests: one step of the clock, ending the session of a sign-in that is over, and ending
// a sign-in on purpose.

import type { RefusedReason } from '../../core/events.js';
import { type Answer, answers, type ExpiredReason, loginLocation } from '../../core/protocol.js';
import { isNavigation, returnPath } from '../../core/request.js';
import type { SessionAccess, Touch } from '../../core/store.js';
import type { EndReason } from '../../core/tombstones.js';
import { debug } from '../debug.js';
import type { RequestFacts } from '../lifecycle.js';
import { andThen, type Maybe } from '../maybe.js';
import { jsonReply, NEXT, type Outcome, redirectReply } from '../outcome.js';
import type { Core } from './core.js';
import type { HeldSignOuts } from './held-sign-outs.js';
import { type Guarded, markerIn } from './report.js';

/** Turns a request away: reported, then answered. */
export function refuse<Req>(
  core: Core<Req>,
  facts: RequestFacts<Req>,
  session: SessionAccess | undefined,
  reason: RefusedReason,
  answer: Answer,
): Outcome {
  core.report.refused(facts, session, reason);
  return jsonReply(answer);
}

/**
 * One step on the store for a signed-in request, remembered for the page's client config; at
 * once when the store answers at once (the default store, whose session writes are synchronous).
 */
export function touch<Req>(
  core: Core<Req>,
  facts: RequestFacts<Req>,
  session: SessionAccess,
  offsetMs?: number,
  withFacts = false,
  exact = false,
): Maybe<Guarded<Touch>> {
  const { options, store } = core;
  const result = core.report.guard(
    () => store.touch(session, offsetMs, options, withFacts, exact),
    'touch',
  );
  // The default store reads a page's status back from the session at no cost (`peek`); only a
  // remote store needs the request's own step kept for it (setting a property on every request
  // costs more than the whole step of the default store).
  if (options.store === undefined) return result;
  return andThen(result, (step) => {
    if (step.ok) core.steps.set(facts.req as object, step.value);
    return step;
  });
}

/**
 * Ends the session of a sign-in that is over (`reason` says why; the store has recorded it)
 * and answers the request.
 */
export async function endSession<Req>(
  core: Core<Req>,
  facts: RequestFacts<Req>,
  session: SessionAccess,
  step: Touch & { kind: 'ended' },
  forRoute: boolean,
): Promise<Outcome> {
  if (core.options.trace) {
    const marker = markerIn(session);
    const signIn = step.found ?? (marker === undefined ? undefined : { id: marker });
    if (signIn !== undefined) core.report.tracedEnd(facts, signIn, step.reason);
  }
  const outcome = endedOutcome(core, facts, step.reason, forRoute);
  // The app goes on only after a NEXT, and then needs a session: a fresh anonymous one.
  const ended = await endFound(core, facts, session, step, outcome.kind === 'next');
  return ended.ok ? outcome : ended.outcome;
}

/**
 * What {@link endSession} does before it answers: reports how the sign-in ended and ends its
 * session (`keepSession`: a fresh anonymous one in its place).
 */
export function endFound<Req>(
  core: Core<Req>,
  facts: RequestFacts<Req>,
  session: SessionAccess,
  step: Touch & { kind: 'ended' },
  keepSession: boolean,
): Promise<Guarded<void>> {
  const { report } = core;
  const { reason } = step;
  debug('%s %s: sign-in ended (%s)', facts.method, facts.path, reason);
  if (step.found && (reason === 'idle' || reason === 'absolute')) {
    report.expired(step.found, reason, 'request');
  } else if (reason === 'lost') {
    report.lost(markerIn(session), 'request');
  } else if (reason === 'logout' || reason === 'revoked') {
    // The cookie of a sign-in that was signed out came back: a tab left open, or a replay.
    report.refused(facts, session, 'ended-sign-in');
  }
  core.steps.delete(facts.req as object);
  return report.guarded(() => session.end(keepSession), 'session');
}

/** What a request whose sign-in ended gets: an expiry is told to the client; after a sign-out it goes on as anonymous. */
function endedOutcome<Req>(
  { options, loginPath }: Core<Req>,
  facts: RequestFacts<Req>,
  reason: EndReason,
  forRoute: boolean,
): Outcome {
  if (reason === 'logout') return forRoute ? jsonReply(answers.anonymous('logout')) : NEXT;
  if (forRoute || !isNavigation(facts.header)) return jsonReply(answers.expired(reason));
  // Why 303: a POST that finds the session expired must come back as a GET of the login page.
  const location = loginFor({ options, loginPath }, facts, reason);
  if (location !== undefined) return redirectReply(location);
  return NEXT; // a fresh anonymous session: the app's own authentication takes over
}

/**
 * Where a page load goes to sign in again, coming back to this request after (`next`), and
 * why; undefined without `loginUrl`, and on the login page itself, which goes on: a sign-in
 * posted with an expired cookie must work.
 */
export function loginFor<Req>(
  { options, loginPath }: Pick<Core<Req>, 'options' | 'loginPath'>,
  facts: RequestFacts<Req>,
  reason: ExpiredReason | 'reauth',
): string | undefined {
  if (options.loginUrl === undefined || facts.path === loginPath) return undefined;
  const next = returnPath(facts.method, facts.url, facts.header, facts.appOrigin);
  return loginLocation(options.loginUrl, next, reason);
}

/**
 * Ends a sign-in on purpose (the logout route): the store remembers it as ended first, then
 * the session goes, even when the store failed (then the sign-out is held, and the answer is
 * 503: the client tries again). Undefined when all went well.
 */
export async function signOutSession<Req>(
  core: Core<Req>,
  held: HeldSignOuts,
  req: Req,
  session: SessionAccess,
): Promise<Outcome | undefined> {
  const { options, report, store } = core;
  core.steps.delete(req as object);
  const recorded = await report.guarded(() => store.end(session, 'logout', options), 'end');
  // Not recorded (the store failed): held in this process until the store answers, the
  // session ended all the same, and the answer 503, so that the client tries again.
  if (recorded.ok) report.signedOut(recorded.value, 'logout');
  else held.hold(session);
  const ended = await report.guarded(() => session.end(false), 'session');
  if (!recorded.ok) return recorded.outcome;
  return ended.ok ? undefined : ended.outcome;
}
