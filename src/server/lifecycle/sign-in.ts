// Beginning a sign-in: what it keeps (its own timeouts, its user, the app's event data, a browser
// summary), room for it under `maxSignInsPerUser`, and its clock started in the store.

import { SignInRefusedError } from '../../core/errors.js';
import { describeFailure } from '../../core/events.js';
import { signInTimeouts } from '../../core/options.js';
import type { SecurityState, SignInFacts } from '../../core/policy.js';
import type { SessionAccess } from '../../core/store.js';
import { describeUserAgent } from '../../core/user-agent.js';
import type { RequestFacts } from '../lifecycle.js';
import type { Core } from './core.js';

/**
 * Starts a new sign-in's clock through the store (`start`, or `prepare` for a sign-in made
 * without it), within `maxSignInsPerUser`. A refusal is reported and thrown.
 *
 * @throws SignInRefusedError, or the store's error
 */
export async function beginSignIn<Req>(
  core: Core<Req>,
  facts: RequestFacts<Req>,
  session: SessionAccess,
  how: 'start' | 'prepare',
): Promise<SecurityState | undefined> {
  const { options, store } = core;
  const kept = await factsOf(core, facts);
  try {
    await limitSignIns(core, kept.userId);
    if (how === 'prepare') return await store.prepare?.(session, options, kept);
    const step = await store.start(session, options, kept);
    core.steps.set(facts.req as object, step);
    return step.state;
  } catch (error) {
    if (error instanceof SignInRefusedError) core.report.signInRefused(kept.userId, error);
    throw error;
  }
}

/**
 * Makes room for one more sign-in of `userId` under `maxSignInsPerUser`: ends the least
 * recently active ones (`replaced`), or refuses. Not atomic: sign-ins of one user made at the
 * same moment on several instances may each find room.
 *
 * @throws SignInRefusedError with `onMaxSignIns: 'refuse'`
 */
async function limitSignIns<Req>(core: Core<Req>, userId: string | undefined): Promise<void> {
  const { options, store } = core;
  const max = options.maxSignInsPerUser;
  const { signIns: listOf, revoke } = store;
  if (max === undefined || userId === undefined || !listOf || !revoke) return;
  const live = await listOf.call(store, userId, options);
  const over = live.length - max + 1;
  if (over <= 0) return;
  if (options.onMaxSignIns === 'refuse') {
    throw new SignInRefusedError(
      'max-sign-ins',
      `this account already has ${live.length} sign-in(s), the most allowed (${max}): sign out of one of them first`,
    );
  }
  const oldest = live.sort((a, b) => a.lastActivity - b.lastActivity).slice(0, over);
  for (const signIn of oldest) {
    const ended = await revoke.call(store, { userId, signIn: signIn.id }, options);
    for (const state of ended) core.report.signedOut(state, 'replaced');
  }
}

/**
 * What a new sign-in keeps: its own timeouts (per-user options), its user, the app's event
 * data and a browser summary. A per-user value that breaks the rules gives the static values.
 */
async function factsOf<Req>(core: Core<Req>, facts: RequestFacts<Req>): Promise<SignInFacts> {
  const { options } = core;
  const { logger } = options;
  const kept: SignInFacts = {};
  if (options.perUser) {
    const own = await signInTimeouts(facts.req, options);
    if (own.error !== undefined) {
      logger.error(
        `session-security: ${own.error}; this sign-in keeps the static timeouts (expireAfter ${options.expireAfterMs / 1000} s, warnAfter ${options.warnAfterMs / 1000} s, absoluteTimeout ${options.absoluteTimeoutMs / 1000} s)`,
      );
    }
    kept.timeouts = own.timeouts;
  }
  if (options.userId) {
    const userId = options.userId(facts.req);
    if (typeof userId === 'string' && userId !== '') kept.userId = userId;
    else {
      logger.error(
        `session-security: userId(req) returned ${typeof userId === 'string' ? 'an empty string' : typeof userId} at sign-in, not a user id; this sign-in is left out of the user's list of sign-ins`,
      );
    }
    kept.agent = describeUserAgent(facts.header('user-agent'));
  }
  if (options.eventData) {
    const data = eventDataOf(options.eventData, facts.req);
    if (typeof data === 'string')
      logger.error(`session-security: ${data}; it is left out of the events`);
    else kept.data = data;
  }
  return kept;
}

/** The most JSON that `eventData` may attach to a sign-in: it is kept with the sign-in. */
const MAX_EVENT_DATA_BYTES = 1024;

/** The app's event data for a sign-in, or why it cannot be kept. */
function eventDataOf<Req>(
  eventData: (req: Req) => unknown,
  req: Req,
): NonNullable<SignInFacts['data']> | string {
  let data: unknown;
  try {
    data = eventData(req);
  } catch (error) {
    return `eventData(req) threw (${describeFailure(error)})`;
  }
  const flat =
    data !== null &&
    typeof data === 'object' &&
    !Array.isArray(data) &&
    Object.values(data).every(
      (v) => v === null || ['string', 'boolean'].includes(typeof v) || Number.isFinite(v),
    );
  if (!flat) {
    return 'eventData(req) must return an object of strings, finite numbers, booleans and nulls';
  }
  const size = new TextEncoder().encode(JSON.stringify(data)).length;
  if (size > MAX_EVENT_DATA_BYTES) {
    return `eventData(req) returned ${size} bytes of JSON, more than ${MAX_EVENT_DATA_BYTES}`;
  }
  return data as NonNullable<SignInFacts['data']>;
}
