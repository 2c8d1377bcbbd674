// The library's own routes under the prefix (docs/reference/protocol.md, The ping protocol): the ping, the logout and
// the client's assets. The order of the checks is the protocol (ARCHITECTURE.md says why) and
// lives in one place, `checks` below:
// the first check that answers ends the request (test/unit/server/order-of-checks.property.test.ts
// fails on any other order). No session (503) is decided before, for every request.

import { SessionStoreUnavailableError } from '../../core/errors.js';
import type { LockCredentials, LockPasskeys } from '../../core/options.js';
import { MAX_TIMEOUT_MS, type SecurityState, statusOf, type Timeouts } from '../../core/policy.js';
import {
  type Answer,
  answers,
  isJsonContentType,
  MAX_BODY_BYTES,
  MAX_UNLOCK_BYTES,
  namedSignIn,
  parseLeaseBody,
  parsePingBody,
  parseUnlockBody,
  ROUTES,
  type Route,
  SIGN_IN_HEADER,
  type UnlockBody,
} from '../../core/protocol.js';
import { crossOriginReason } from '../../core/request.js';
import type { ActivityStore, SessionAccess } from '../../core/store.js';
import type { EndReason } from '../../core/tombstones.js';
import { type AssetRoute, clientAssets, isAssetRoute } from '../assets.js';
import { debug } from '../debug.js';
import { draftKey, pageDrafts } from '../drafts.js';
import { clientConfig } from '../html.js';
import type { BodyRead, RequestFacts } from '../lifecycle.js';
import { errorReply, jsonReply, type Outcome } from '../outcome.js';
import type { Core } from './core.js';
import type { HeldSignOuts } from './held-sign-outs.js';
import { endLease, type Taken, takeLease } from './leases.js';
import { markerIn } from './report.js';
import { endFound, endSession, refuse, signOutSession, touch } from './steps.js';

/** A request to one of the library's routes, as the checks see it and fill it in. */
interface RouteRequest<Req> {
  facts: RequestFacts<Req>;
  session: SessionAccess;
  authenticated: boolean;
  /** The path under the prefix. */
  route: string;
  isPing: boolean;
  /** `{prefix}/config`: a single-page app asks for its client's config. */
  isConfig: boolean;
  /** The body of a POST ping, once read. */
  body?: BodyRead;
}

/** A POST whose JSON body the library reads: a ping's, or the lock's unlock. */
const postsJson = ({ facts, isPing, route }: RouteRequest<unknown>): boolean =>
  facts.method === 'POST' && (isPing || route === '/unlock' || route === '/lease');

type Check<Req> = (
  request: RouteRequest<Req>,
) => Outcome | undefined | Promise<Outcome | undefined>;

/**
 * The checks of a request to the library's routes, in the order of the protocol; each answers
 * the request or hands it to the next.
 */
function checks<Req>(
  core: Core<Req>,
  held: HeldSignOuts,
  start: StartSignIn<Req>,
): ReadonlyArray<Check<Req>> {
  const { options, report } = core;
  /** The answer of the library's explicit sign-out: anonymous now, and the browser's cache cleared. */
  function signedOut(): Answer {
    const signedOutAnswer = answers.signedOut();
    Object.assign(signedOutAnswer.headers, core.signOutHeaders);
    return signedOutAnswer;
  }

  return [
    // 404: not one of the library's routes (the unlock is one only with the lock, the lease
    // only with the browser's leases).
    ({ facts, session, route }) =>
      Object.hasOwn(ROUTES, route) &&
      (route !== '/unlock' || options.lock !== undefined) &&
      (route !== '/lease' || options.leases !== undefined)
        ? undefined
        : refuse(core, facts, session, 'not-found', answers.notFound(facts.path)),
    // 405: a method the route does not take.
    ({ facts, session, route }) => {
      const allowed: readonly string[] = ROUTES[route as Route];
      if (allowed.includes(facts.method)) return undefined;
      const refusal = answers.methodNotAllowed(route as Route, facts.method);
      return refuse(core, facts, session, 'method-not-allowed', refusal);
    },
    // 403: another origin (a page elsewhere must neither extend nor end a sign-in).
    ({ facts, session }) => {
      const reason = crossOriginReason(facts.header, facts.appOrigin, options.trustedOrigins);
      if (reason === undefined) return undefined;
      return refuse(core, facts, session, 'cross-origin', answers.forbidden(reason));
    },
    // The client's script and stylesheet.
    ({ facts, route }) => (isAssetRoute(route) ? serveAsset(facts, route) : undefined),
    // 415: a POST ping that is not JSON. Why JSON only: a cross-site HTML form cannot send
    // application/json without a preflight.
    (request) => {
      const { facts, session, isPing } = request;
      if (isPing) report.countPing(facts.method as 'GET' | 'POST');
      const contentType = facts.header('content-type');
      if (!postsJson(request) || isJsonContentType(contentType)) return undefined;
      const refusal = answers.unsupportedMediaType(contentType);
      return refuse(core, facts, session, 'unsupported-media-type', refusal);
    },
    // 413 past the limit, 400 for a body the client cut off; read without buffering past it.
    async (request) => {
      const { facts, session, route } = request;
      if (!postsJson(request)) return undefined;
      const isUnlock = route === '/unlock';
      request.body = await facts.readBody(isUnlock ? MAX_UNLOCK_BYTES : MAX_BODY_BYTES);
      if (request.body.kind === 'tooLarge') {
        return refuse(core, facts, session, 'body-too-large', answers.tooLarge(isUnlock));
      }
      if (request.body.kind !== 'aborted') return undefined;
      debug('%s %s: the client gave up sending its body', facts.method, facts.path);
      return jsonReply(answers.badRequest('the body was cut off before its end'));
    },
    // The lock's sign-in again: anonymous (the sign-in expired) or not (asked again before what
    // matters), so before the anonymous answers.
    ({ facts, session, authenticated, route, body }) =>
      route === '/unlock' && body?.kind === 'text'
        ? unlock(core, start, facts, session, authenticated, body.text)
        : undefined,
    // Anonymous: a ping or a config request is told so (a ping also how its sign-in ended); a
    // logout signs nobody out.
    async ({ facts, session, authenticated, isPing, isConfig, route }) => {
      if (authenticated) return undefined;
      if (session.read() !== undefined) {
        const cleared = await report.guarded(() => session.clear(), 'session');
        if (!cleared.ok) return cleared.outcome;
      }
      if (isConfig || route === '/lease') return jsonReply(answers.anonymous());
      return jsonReply(isPing ? await anonymousPing(core, facts) : signedOut());
    },
    // The config of a single-page app's client.
    ({ facts, session, isConfig }) => (isConfig ? configAnswer(core, facts, session) : undefined),
    // A lease of the browser's (`hold`): taken on a live sign-in, or ended.
    ({ facts, session, route, body }) =>
      route === '/lease' && body?.kind === 'text'
        ? leaseAnswer(core, facts, session, body.text)
        : undefined,
    // The logout: final, whatever is in flight.
    async ({ facts, session, isPing }) => {
      if (isPing) return undefined;
      debug('%s %s: signed out', facts.method, facts.path);
      return (await signOutSession(core, held, facts.req, session)) ?? jsonReply(signedOut());
    },
    // The ping: expiry first, in the same step (a ping must never revive an expired session); a
    // malformed ping records nothing, but an expired session is still told so (401 before 400).
    ({ facts, session, body }) => pingAnswer(core, facts, session, body),
  ];
}

/** The ping's answer: its step on the store (exact), its events, and the status. */
async function pingAnswer<Req>(
  core: Core<Req>,
  facts: RequestFacts<Req>,
  session: SessionAccess,
  body: BodyRead | undefined,
): Promise<Outcome> {
  const { options, report } = core;
  const ping = body?.kind === 'text' ? parsePingBody(body.text) : undefined;
  // At most MAX_TIMEOUT_MS: a live sign-in saw activity less than its idle limit (a year at
  // most) ago, so input from longer ago changes nothing, and every store gets a finite
  // offset (1e306 s is Infinity in ms: a store refusing it would answer 503, a fake outage).
  const offsetMs = ping?.ok
    ? Math.min(ping.sinceActivitySeconds * 1000, MAX_TIMEOUT_MS)
    : undefined;
  const extend = report.observed && ping?.ok === true && ping.extend;
  // Exact: a ping is where every tab's clock meets the server's, so it never reads a copy.
  // With the lock, the step reads the sign-in's user too (its drafts key is in the answer).
  const withFacts = extend || options.lock !== undefined;
  const step = await touch(core, facts, session, offsetMs, withFacts, true);
  if (!step.ok) return step.outcome;
  if (step.value.kind === 'ended') return endSession(core, facts, session, step.value, true);
  if (ping?.ok === false) {
    return refuse(core, facts, session, 'bad-request', answers.badRequest(ping.error));
  }
  const { state, nowMs } = step.value;
  if (extend) report.emit({ type: 'extended', at: options.clock.now(), ...report.about(state) });
  if (options.trace) {
    const why = offsetMs === undefined ? 'read' : ping?.ok && ping.extend ? 'stay' : 'ping';
    const input = why === 'ping' ? `input ${(offsetMs ?? 0) / 1000} s ago` : undefined;
    report.traced(facts, state, nowMs, why, input);
  }
  return activeReply(core, state, nowMs);
}

/**
 * What `POST {prefix}/lease` answers: a lease taken on the session's live sign-in (never longer
 * than the `leases` option's `maxSeconds`), or ended. An expired sign-in is answered as a ping's.
 */
async function leaseAnswer<Req>(
  core: Core<Req>,
  facts: RequestFacts<Req>,
  session: SessionAccess,
  text: string,
): Promise<Outcome> {
  const parsed = parseLeaseBody(text);
  if (!parsed.ok) {
    return refuse(core, facts, session, 'bad-request', answers.badRequest(parsed.error));
  }
  const marker = markerIn(session);
  if (parsed.kind === 'end') {
    if (marker !== undefined) await endLease(core, { id: marker }, parsed.lease, 'client');
    return jsonReply(answers.released());
  }
  const limit = core.options.leases?.maxSeconds ?? 0;
  const maxSeconds = Math.min(parsed.maxSeconds ?? limit, limit);
  let taken: Taken;
  try {
    taken = await takeLease(core, session, { maxSeconds, label: parsed.label }, 'client');
  } catch (error) {
    if (!(error instanceof SessionStoreUnavailableError)) throw error;
    return jsonReply(answers.unavailable());
  }
  if (taken.kind === 'held') return jsonReply(answers.held(taken.lease.id, maxSeconds));
  if (taken.kind === 'too-many') return jsonReply(answers.tooManyLeases());
  return endSession(core, facts, session, taken, true);
}

/**
 * An anonymous ping, told how the sign-in its page names ended when the store remembers it:
 * after a sign-out in another tab (whose new cookie this tab now sends) the answer says
 * `logout`, and every tab deletes its drafts; after an expiry they keep them.
 */
async function anonymousPing<Req>(core: Core<Req>, facts: RequestFacts<Req>): Promise<Answer> {
  const { report, store } = core;
  const marker = namedSignIn(facts.header(SIGN_IN_HEADER));
  if (marker === undefined || !store.endedReason) return answers.anonymous();
  let reason: EndReason | undefined;
  try {
    reason = await store.endedReason(marker);
  } catch (error) {
    // Only the reason is missing: the answer is the same anonymous one without it.
    debug(
      '%s %s: the store could not say how the sign-in ended: %s',
      facts.method,
      facts.path,
      error,
    );
  }
  if (reason === undefined) return answers.anonymous();
  if (reason === 'lost') report.lost(marker, 'ping');
  return reason === 'logout' ? answers.anonymous('logout') : answers.expired(reason);
}

/**
 * What `{prefix}/config` answers a signed-in session: its status, read as a GET ping reads it
 * (passive: asking is not activity), and the config `clientTags` would write into a page.
 */
async function configAnswer<Req>(
  core: Core<Req>,
  facts: RequestFacts<Req>,
  session: SessionAccess,
): Promise<Outcome> {
  const { options } = core;
  const step = await touch(core, facts, session, undefined, false, true);
  if (!step.ok) return step.outcome;
  if (step.value.kind === 'ended') return endSession(core, facts, session, step.value, true);
  if (options.trace) core.report.traced(facts, step.value.state, step.value.nowMs, 'read');
  const status = statusOf(step.value.state, step.value.nowMs, options);
  const lang = new URLSearchParams(facts.url.split('?')[1] ?? '').get('lang') ?? undefined;
  const settings = { ...options, drafts: pageDrafts(options, facts.req) };
  return jsonReply(answers.config(status, clientConfig(status, settings, lang)));
}

/**
 * The active status of a ping's or an unlock's answer. With the lock, it carries the drafts key
 * of the sign-in's user: a locked tab that hears of a new sign-in (another tab's, the login
 * page's) carries on when it is the same user's, and reloads when it is another's. No key
 * without the lock, or without a user.
 */
function activeReply<Req>({ options }: Core<Req>, state: SecurityState, nowMs: number): Outcome {
  const status = statusOf(state, nowMs, options);
  const { lock, drafts } = options;
  if (!lock || !drafts || state.userId === undefined) return jsonReply(answers.active(status));
  return jsonReply(answers.active({ ...status, user: draftKey(drafts.secret, state.userId) }));
}

/** An app's hook (the lock's `verify`, its passkeys) that threw or broke its contract: logged, 500. */
function hookFailure<Req>({ report }: Core<Req>, hook: string, error: unknown): Outcome {
  report.hookFailed(hook, error);
  return jsonReply(answers.hookFailed(hook));
}

/** Ends the sign-in a session held before it was regenerated, by its marker and user. */
async function revokeMarker(
  store: ActivityStore,
  marker: string,
  userId: string | undefined,
  timeouts: Timeouts,
): Promise<SecurityState[]> {
  if (!userId || !store.revoke) return [];
  return store.revoke({ userId, signIn: marker }, timeouts);
}

/** Starts a new sign-in as `start(req)` does (the lock's sign-in again). */
export type StartSignIn<Req> = (facts: RequestFacts<Req>, session: SessionAccess) => Promise<void>;

/**
 * The credentials of an unlock: the user name and password for the app to check, or the user a
 * passkey proves (its signature checked by the passkeys, each challenge claimed once in the store
 * when it can: every instance); undefined for a passkey that does not hold.
 */
async function credentialsOf(
  store: ActivityStore,
  body: Exclude<UnlockBody, { ok: false } | { kind: 'passkey-challenge' }>,
  passkeys: LockPasskeys | undefined,
): Promise<LockCredentials | undefined> {
  if (body.kind === 'password') {
    return { type: 'password', username: body.username, password: body.password };
  }
  const { claimOnce } = store;
  const claim =
    claimOnce &&
    ((challenge: string, ttlMs: number) => claimOnce.call(store, `passkey:${challenge}`, ttlMs));
  const userId = await (passkeys as LockPasskeys).check(body.response, claim);
  // Only a user id proves anything: whatever else a check resolves is a refusal.
  return typeof userId === 'string' && userId !== '' ? { type: 'passkey', userId } : undefined;
}

/**
 * The lock's sign-in again (docs/guide/lock.md): the app's `verify` checks the credentials and
 * signs the user in; then the sign-in it replaces (a live one, asked again before what matters)
 * ends, and a new one begins: a new marker, a fresh absolute timeout. Answers its status and its
 * user's drafts key (lockUser), by which each locked tab tells the same user from another.
 */
async function unlock<Req>(
  core: Core<Req>,
  start: StartSignIn<Req>,
  facts: RequestFacts<Req>,
  session: SessionAccess,
  authenticated: boolean,
  text: string,
): Promise<Outcome> {
  const { options, report, store } = core;
  const { lock } = options;
  if (!lock) throw new Error('session-security: the unlock route needs the lock');
  const body = parseUnlockBody(text);
  if (!body.ok) return refuse(core, facts, session, 'bad-request', answers.badRequest(body.error));
  const { passkeys } = lock;
  if (body.kind !== 'password' && passkeys === undefined) {
    return refuse(
      core,
      facts,
      session,
      'bad-request',
      answers.badRequest('passkeys are not on: the server has no lock.passkeys'),
    );
  }
  if (body.kind === 'passkey-challenge') {
    try {
      return jsonReply(answers.passkeyChallenge(await (passkeys as LockPasskeys).challenge()));
    } catch (error) {
      return hookFailure(core, 'lock.passkeys', error);
    }
  }
  let live = authenticated;
  if (live) {
    // A sign-in that is over (not found yet: no request came since its deadline) ends here as
    // any request would find it, its session made a fresh anonymous one to sign in again on.
    const step = await touch(core, facts, session, undefined, false, true);
    if (!step.ok) return step.outcome;
    if (step.value.kind === 'ended') {
      const ended = await endFound(core, facts, session, step.value, true);
      if (!ended.ok) return ended.outcome;
      live = false;
    }
  }
  // The sign-in asked again, when it lives: its marker, and its user's.
  const before = live ? markerIn(session) : undefined;
  const beforeUser = before === undefined ? undefined : options.userId?.(facts.req);
  // The credentials: a user name and password for the app to check, or the user a passkey
  // proves (its signature checked here, before the app hears of it).
  let hook = 'lock.passkeys';
  let accepted = false;
  try {
    const credentials = await credentialsOf(store, body, passkeys);
    hook = 'lock.verify';
    if (credentials) accepted = (await lock.verify(facts.req, credentials)) === true;
  } catch (error) {
    return hookFailure(core, hook, error);
  }
  if (!accepted) {
    return refuse(
      core,
      facts,
      session,
      'credentials',
      answers.credentialsRefused(body.kind === 'passkey'),
    );
  }
  if (!(await options.isAuthenticated(facts.req))) {
    const broken = new Error(
      "it resolved true, but isAuthenticated(req) is false: verify must sign the user in on req's session",
    );
    return hookFailure(core, 'lock.verify', broken);
  }
  // The sign-in asked again ends first, as a revocation: no tab is told of it, each finds the new
  // sign-in of the same user. Still in this session, or (verify regenerated the session) by its
  // marker among its user's sign-ins.
  if (before !== undefined) {
    const replaced = await report.guarded(
      () =>
        markerIn(session) === before
          ? store.end(session, 'revoked', options).then((state) => (state ? [state] : []))
          : revokeMarker(store, before, beforeUser, options),
      'end',
    );
    if (!replaced.ok) return replaced.outcome;
    for (const state of replaced.value) report.signedOut(state, 'replaced');
  }
  core.steps.delete(facts.req as object);
  try {
    await start(facts, session);
  } catch (error) {
    const reply = errorReply(error, undefined);
    if (reply === undefined) throw error;
    return reply;
  }
  const step = core.steps.get(facts.req as object);
  if (step?.kind !== 'active') throw new Error('session-security: the new sign-in has no clock');
  // Kept before it is told: a session plugin that saves once the answer has begun would lose a
  // failure the tab never hears of (it would unlock, then find nobody signed in).
  if (session.save) {
    const saved = await report.guarded(() => (session.save as () => Promise<void>)(), 'session');
    if (!saved.ok) return saved.outcome;
  }
  debug('%s %s: signed in again through the lock', facts.method, facts.path);
  return activeReply(core, step.state, step.nowMs);
}

/** Answers a request to one of the library's routes: the first of the checks that answers. */
export function routeHandler<Req>(core: Core<Req>, held: HeldSignOuts, start: StartSignIn<Req>) {
  const inOrder = checks(core, held, start);
  return async function handleRoute(
    facts: RequestFacts<Req>,
    session: SessionAccess,
    authenticated: boolean,
  ): Promise<Outcome> {
    const route = facts.path.slice(core.options.prefix.length);
    const request: RouteRequest<Req> = {
      facts,
      session,
      authenticated,
      route,
      isPing: route === '/ping',
      isConfig: route === '/config',
    };
    for (const check of inOrder) {
      const answered = check(request);
      const outcome = answered instanceof Promise ? await answered : answered;
      if (outcome !== undefined) return outcome;
    }
    throw new Error(`session-security: no check answered ${facts.method} ${facts.path}`);
  };
}

/** Serves the client's script or stylesheet: immutable under its hash, revalidated without it. */
function serveAsset<Req>(facts: RequestFacts<Req>, route: AssetRoute): Outcome {
  const asset = clientAssets()[route];
  const etag = `"${asset.hash}"`;
  const version = new URLSearchParams(facts.url.split('?')[1] ?? '').get('v');
  const headers = {
    'content-type': asset.contentType,
    'cache-control': version === asset.hash ? 'public, max-age=31536000, immutable' : 'no-cache',
    etag,
    'x-content-type-options': 'nosniff',
  };
  if (facts.header('if-none-match') === etag) {
    return { kind: 'reply', status: 304, headers, body: null };
  }
  return { kind: 'reply', status: 200, headers, body: facts.method === 'HEAD' ? null : asset.body };
}
