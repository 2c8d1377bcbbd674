// "Nothing revives an ended sign-in" (docs/guide/behaviour.md: Sign-out and expiry are final), as a property of the lifecycle of
// src/server/lifecycle.ts over random interleavings. A fake store holds sessions by id; each
// request takes a copy of its session at its start and may save the copy back at a random later
// point, as express-session does at the end of a request, across sign-outs, expiries and new
// sign-ins (each in a new session id).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { resolveOptions } from '../../../src/core/options.js';
import {
  createLifecycle,
  type Outcome,
  type RequestFacts,
  type SessionAccess,
} from '../../../src/server/lifecycle.js';

const T0 = 1_700_000_000_000;
const EXPIRE_AFTER_SECONDS = 60;
const APP = 'https://app.example';
const NUM_RUNS = 1000;

/** What a session holds: the app's user and the library's clock. */
interface SessionData {
  user?: string;
  sessionSecurity?: unknown;
}

/** A request's own copy of its session, loaded at its start (what express-session's req.session is). */
interface Copy {
  sid: string;
  data: SessionData;
  /** Destroyed during the request: nothing is saved at its end. */
  destroyed: boolean;
  modified: boolean;
}

type RequestKind = 'page' | 'passivePage' | 'pingGet' | 'pingPost' | 'logout' | 'notFound';

type Step =
  | { kind: 'signIn'; start: boolean }
  | {
      kind: 'request';
      signIn: number;
      request: RequestKind;
      sinceActivity: number;
      /** For a ping POST: its body arrives at the end of the request, when it is decided. */
      slowBody: boolean;
    }
  | { kind: 'finish'; inFlight: number }
  | { kind: 'signOut'; signIn: number }
  | { kind: 'advance'; seconds: number };

/** A request between its start (its copy loaded, the lifecycle run up to its body) and its end. */
interface InFlight {
  /** The sign-in's session id the request was sent with. */
  sid: string;
  copy: Copy;
  kind: RequestKind;
  /** The lifecycle's answer, once the body is in. */
  outcome: Promise<Outcome>;
  /** Lets the body arrive (a slow ping's arrives at the end of its request). */
  sendBody: () => void;
  answered: boolean;
}

interface Config {
  /** Save every copy at the end of its request (express-session `resave: true`), not only modified ones. */
  resave: boolean;
  absoluteTimeout: number;
  loginUrl: string | undefined;
}

/** What the lifecycle sees of a request besides its session and body. */
interface RequestLine {
  method: string;
  path: string;
  headers: Record<string, string>;
}

const PAGE_HEADERS = {
  accept: 'text/html',
  'sec-fetch-mode': 'navigate',
  'sec-fetch-site': 'same-origin',
  'sec-fetch-dest': 'document',
};
const FETCH_HEADERS = { 'sec-fetch-mode': 'cors', 'sec-fetch-site': 'same-origin' };

/** The method, path and headers of each kind of request. */
const REQUESTS: Record<RequestKind, RequestLine> = {
  page: { method: 'GET', path: '/page', headers: PAGE_HEADERS },
  passivePage: {
    method: 'GET',
    path: '/api/poll',
    headers: { ...FETCH_HEADERS, 'x-session-security': 'passive' },
  },
  pingGet: { method: 'GET', path: '/session-security/ping', headers: FETCH_HEADERS },
  pingPost: {
    method: 'POST',
    path: '/session-security/ping',
    headers: { ...FETCH_HEADERS, 'content-type': 'application/json' },
  },
  logout: { method: 'POST', path: '/session-security/logout', headers: FETCH_HEADERS },
  notFound: { method: 'GET', path: '/session-security/anything', headers: FETCH_HEADERS },
};

function facts(
  copy: Copy,
  { method, path, headers }: RequestLine,
  readBody: () => Promise<string> = async () => '',
): RequestFacts<Copy> {
  return {
    req: copy,
    method,
    path,
    url: path,
    header: (name) => headers[name],
    appOrigin: APP,
    readBody: async () => ({ kind: 'text', text: await readBody() }),
  };
}

/** The app's own sign-out route, a same-origin form post, which calls lifecycle.signOut. */
const APP_SIGN_OUT: RequestLine = {
  method: 'POST',
  path: '/sign-out',
  headers: { ...PAGE_HEADERS, 'content-type': 'application/x-www-form-urlencoded' },
};

/** Whether the lifecycle let the request through as the signed-in user. */
function answeredActive(kind: RequestKind, outcome: Outcome, copy: Copy, sidAtStart: string) {
  if (kind === 'page' || kind === 'passivePage') {
    return (
      outcome.kind === 'next' &&
      !copy.destroyed &&
      copy.sid === sidAtStart &&
      typeof copy.data.user === 'string'
    );
  }
  return (
    outcome.kind === 'reply' &&
    outcome.status === 200 &&
    typeof outcome.body === 'string' &&
    JSON.parse(outcome.body).status === 'active'
  );
}

/** Runs the steps; throws at the first request of an ended sign-in that is answered as active. */
async function simulate(config: Config, steps: readonly Step[]): Promise<void> {
  const clock = { ms: T0, now: () => clock.ms };
  const errors: string[] = [];
  const lifecycle = createLifecycle(
    resolveOptions<Copy>({
      expireAfter: EXPIRE_AFTER_SECONDS,
      warnAfter: EXPIRE_AFTER_SECONDS / 2,
      absoluteTimeout: config.absoluteTimeout,
      loginUrl: config.loginUrl,
      isAuthenticated: (copy) => typeof copy.data.user === 'string',
      drafts: false,
      clock,
      logger: { warn: () => {}, error: (message) => errors.push(message) },
    }),
  );
  const store = new Map<string, SessionData>();
  let sessionCount = 0;
  const newSid = () => `session-${++sessionCount}`;
  const signIns: string[] = [];
  /** Session ids whose sign-in the lifecycle ended, with when. */
  const ended = new Map<string, number>();
  const inFlight: InFlight[] = [];
  const log: string[] = [];

  /** The copy a request starts with: the stored session, or a new empty one (as express-session makes). */
  function load(sid: string): Copy {
    const stored = store.get(sid);
    const data = stored === undefined ? {} : structuredClone(stored);
    return { sid: stored === undefined ? newSid() : sid, data, destroyed: false, modified: false };
  }

  function access(copy: Copy): SessionAccess {
    return {
      exists: () => !copy.destroyed,
      id: () => (copy.destroyed ? undefined : copy.sid),
      read: () => copy.data.sessionSecurity,
      write: (state) => {
        copy.data.sessionSecurity = state;
        copy.modified = true;
      },
      clear: () => {
        delete copy.data.sessionSecurity;
        copy.modified = true;
      },
      // The adapter's default: regenerate (a new, empty session) or destroy.
      end: async (keepSession) => {
        if (!ended.has(copy.sid)) ended.set(copy.sid, clock.ms);
        store.delete(copy.sid);
        if (keepSession) Object.assign(copy, { sid: newSid(), data: {}, modified: false });
        else copy.destroyed = true;
      },
    };
  }

  /** The end of a request: express-session saves the copy back, over whatever happened meanwhile. */
  function save(copy: Copy) {
    if (!copy.destroyed && (config.resave || copy.modified)) {
      store.set(copy.sid, structuredClone(copy.data));
    }
  }

  /**
   * Starts a request: loads its copy and runs the lifecycle up to its body (or its answer, for a
   * request without one). A slow body arrives only when the request is answered.
   */
  async function begin(
    sid: string,
    kind: RequestKind,
    sinceActivity: number,
    slowBody = false,
  ): Promise<InFlight> {
    const copy = load(sid);
    let sendBody = () => {};
    const body = new Promise<string>((resolve) => {
      sendBody = () => resolve(JSON.stringify({ sinceActivity }));
    });
    let bodyAsked = () => {};
    const asked = new Promise<void>((resolve) => {
      bodyAsked = resolve;
    });
    const readBody = () => {
      bodyAsked();
      return body;
    };
    const outcome = Promise.resolve(
      lifecycle.handle(facts(copy, REQUESTS[kind], readBody), access(copy)),
    );
    await Promise.race([asked, outcome]);
    const request: InFlight = { sid, copy, kind, outcome, sendBody, answered: false };
    if (slowBody && kind === 'pingPost') log.push(`start of a slow ${kind} on ${sid}`);
    else await answer(request);
    return request;
  }

  /** Lets the body in and takes the lifecycle's answer; fails when it lets an ended sign-in through. */
  async function answer(request: InFlight): Promise<void> {
    const { copy, sid, kind } = request;
    const loadedSid = copy.sid;
    request.sendBody();
    const outcome = await request.outcome;
    request.answered = true;
    const t = (clock.ms - T0) / 1000;
    log.push(`t=${t}s ${kind} on ${sid} -> ${JSON.stringify(outcome).slice(0, 100)}`);
    const endedAt = ended.get(loadedSid);
    if (endedAt !== undefined && answeredActive(kind, outcome, copy, loadedSid)) {
      throw new Error(
        `the sign-in of ${sid} ended at t=${(endedAt - T0) / 1000}s, yet ${kind} at t=${t}s was answered as active\n${log.join('\n')}`,
      );
    }
  }

  for (const step of steps) {
    if (step.kind === 'advance') {
      clock.ms += step.seconds * 1000;
      log.push(`advance ${step.seconds}s`);
    } else if (step.kind === 'signIn') {
      const copy: Copy = { sid: newSid(), data: { user: 'ada' }, destroyed: false, modified: true };
      if (step.start) await lifecycle.start(facts(copy, REQUESTS.page), access(copy));
      store.set(copy.sid, structuredClone(copy.data));
      signIns.push(copy.sid);
      log.push(`sign-in ${copy.sid}${step.start ? ' with start()' : ''}`);
    } else if (step.kind === 'finish') {
      const [request] = inFlight.splice(step.inFlight % Math.max(1, inFlight.length), 1);
      if (request === undefined) continue;
      if (!request.answered) await answer(request);
      save(request.copy);
      log.push(
        `end of the ${request.kind} on ${request.sid}: saves ${JSON.stringify(request.copy)}`,
      );
    } else {
      const sid = signIns[step.signIn % Math.max(1, signIns.length)];
      if (sid === undefined) continue;
      if (step.kind === 'signOut') {
        const copy = load(sid);
        await lifecycle.signOut(facts(copy, APP_SIGN_OUT), access(copy));
        log.push(`app sign-out of ${sid}`);
      } else {
        inFlight.push(await begin(sid, step.request, step.sinceActivity, step.slowBody));
      }
    }
  }
  // Every request still in flight ends; then every ended sign-in is tried once more.
  for (const request of inFlight.splice(0)) {
    if (!request.answered) await answer(request);
    save(request.copy);
  }
  log.push('end of every request in flight');
  for (const sid of ended.keys()) {
    for (const kind of ['pingGet', 'page'] as const) await begin(sid, kind, 0);
  }
  expect(errors).toEqual([]);
}

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    arbitrary: fc.record({ kind: fc.constant('signIn' as const), start: fc.boolean() }),
    weight: 2,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('request' as const),
      signIn: fc.nat(),
      request: fc.constantFrom<RequestKind>(
        'page',
        'passivePage',
        'pingGet',
        'pingPost',
        'logout',
        'notFound',
      ),
      sinceActivity: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 200 })),
      slowBody: fc.boolean(),
    }),
    weight: 6,
  },
  { arbitrary: fc.record({ kind: fc.constant('finish' as const), inFlight: fc.nat() }), weight: 4 },
  { arbitrary: fc.record({ kind: fc.constant('signOut' as const), signIn: fc.nat() }), weight: 1 },
  {
    arbitrary: fc.record({
      kind: fc.constant('advance' as const),
      seconds: fc.oneof(
        fc.integer({ min: 0, max: 2 }),
        fc.integer({ min: 0, max: EXPIRE_AFTER_SECONDS }),
        fc.integer({ min: EXPIRE_AFTER_SECONDS, max: 3 * EXPIRE_AFTER_SECONDS }),
      ),
    }),
    weight: 3,
  },
);

const configArb: fc.Arbitrary<Config> = fc.record({
  resave: fc.boolean(),
  absoluteTimeout: fc.constantFrom(0, 2 * EXPIRE_AFTER_SECONDS),
  loginUrl: fc.constantFrom(undefined, '/login'),
});

/** A history that starts with a sign-in, then up to 40 steps. */
const historyArb = fc
  .tuple(fc.boolean(), fc.array(stepArb, { maxLength: 40, size: 'medium' }))
  .map(([start, rest]): Step[] => [{ kind: 'signIn', start }, ...rest]);

/**
 * Counterexamples fast-check found against the lifecycle before commit 3cb22c5, tried first on
 * every run. Both end a sign-in before its first tracked request was saved, so only its session
 * id remembered it, for expireAfter; a copy without a clock that came back later started a new one.
 */
const FOUND: [Config, Step[]][] = [
  // A ping POST started before the sign-out; its body arrives expireAfter later (resave: false).
  [
    { resave: false, absoluteTimeout: 0, loginUrl: undefined },
    [
      { kind: 'signIn', start: false },
      { kind: 'request', signIn: 0, request: 'pingPost', sinceActivity: 0, slowBody: true },
      { kind: 'request', signIn: 0, request: 'logout', sinceActivity: 0, slowBody: false },
      { kind: 'advance', seconds: 60 },
    ],
  ],
  // A request the library answers without writing (404) saves its copy back late (resave: true).
  [
    { resave: true, absoluteTimeout: 0, loginUrl: undefined },
    [
      { kind: 'signIn', start: false },
      { kind: 'request', signIn: 0, request: 'notFound', sinceActivity: 0, slowBody: false },
      { kind: 'signOut', signIn: 0 },
      { kind: 'advance', seconds: 60 },
    ],
  ],
];

describe('lifecycle: nothing revives an ended sign-in', () => {
  it('answers no request of an ended sign-in as active, whatever copies in-flight requests save back', async () => {
    await fc.assert(
      fc.asyncProperty(configArb, historyArb, async (config, steps) => simulate(config, steps)),
      { numRuns: NUM_RUNS, examples: FOUND },
    );
  });
});
