// The simulated users of `npm run faults` (bench/faults.ts): HTTP only, each with its own cookie
// jar, against the demo through nginx. Each user has a role whose expected state is known at every
// moment, and every answer is judged against it: a signed-out answer where the user must be signed
// in is a candidate wrongful sign-out, a signed-in answer where the sign-in must be ended is a
// revival. Measures and counts; asserts nothing.

import { Agent, request as httpRequest } from 'node:http';
import { CookieJar, NAVIGATE, SAME_ORIGIN_FETCH } from '../test/support/http.js';
import { sleep } from '../test/support/sleep.js';
import { seeded } from './report.js';

/**
 * What a user does. `active` browses and pings until the end; `idle` signs in and goes silent
 * (probed before and after its deadline); `sign-out` browses, then signs out (the demo's /logout
 * or the library's logout route) and keeps probing its old cookie. An "end all" group is every
 * sign-in of one demo user: its `ender` ends all the others ("sign out everywhere else" on
 * /sessions) and browses on, each `victim` browses until then and must be ended after it.
 */
export type Role = 'active' | 'idle' | 'sign-out' | 'ender' | 'victim';

/**
 * The "end all" groups: `guest` ends its other sign-ins before the fault (their ends must survive
 * it), `admin` just after the fault is over (the end must still reach every live sign-in). The
 * demo gives admin half the idle timeout (examples/demo/idle-timeouts.ts).
 */
export type Group = 'guest' | 'admin';

/** How an answer reads: signed in, signed out, the service unavailable, or something else. */
type Verdict = 'in' | 'out' | 'unavailable' | 'unexpected';

/** What the user must see now: signed in, ended, or either (a change in flight, or too late to tell). */
type Expected = 'in' | 'ended' | 'unknown';

/** The reasons a sign-out may give; 'none' when an answer gives none. */
export const REASONS = ['idle', 'absolute', 'logout', 'revoked', 'lost', 'none'] as const;

export interface Answer {
  /** 0 for a network error or a timeout. */
  status: number;
  location: string | undefined;
  json: Record<string, unknown> | undefined;
  text: string;
  error: string | undefined;
  /** Wall-clock times (Date.now(): the machine's clock, which Redis's TIME reads too). */
  sentAt: number;
  answeredAt: number;
  /** From the socket being handed to the request to the end of the answer (no queueing here). */
  ms: number;
}

/** One signed-out answer given where the user had to be signed in. */
export interface SignOutSeen {
  user: number;
  role: Role;
  what: string;
  status: number;
  reason: string;
  at: number;
  /** Milliseconds since the activity the server had recorded at the latest, at the answer. */
  idleMs: number;
}

export interface Finding {
  user: number;
  role: Role;
  what: string;
  status: number;
  body: string;
  at: number;
}

export interface PhaseStats {
  requests: number;
  /** Answers by status (0: network error or timeout). */
  byStatus: Map<number, number>;
  /** Signed-out answers where the user had to be signed in (wrongful or lost data: see faults.ts). */
  signOuts: SignOutSeen[];
  /** Signed-in answers where the sign-in had to be ended. */
  revivals: Finding[];
  /** Answers no role explains (a 403, a 400...): a harness or library bug. */
  unexpected: Finding[];
  /** Why each sign-in was first told it was signed out, counted once per sign-in. */
  reasons: Map<string, number>;
  /** The first such answer of each reason and role, as an example. */
  reasonSamples: Map<string, Finding>;
  /** Signed-out answers where the expected state could not be told (an end in flight, or late). */
  unjudged: Finding[];
  /** Answers 5xx, 502 aside (nginx's answer for an instance that is down). */
  serverErrors: number;
  badGateway: number;
  networkErrors: number;
  networkErrorSamples: string[];
  /** Requests sent again because their kept-alive connection was closed under them (not failures). */
  retriedOnClosedConnection: number;
  /** Failed requests (5xx, network errors), for the recovery time. */
  failures: { sentAt: number; answeredAt: number }[];
  longestMs: number;
  longestWhat: string;
  /** Harness failures: a sign-in refused before any fault, an "end all" that ended the wrong count. */
  harnessErrors: string[];
  /** What each "end all" said it ended, against the victims signed in, and when it was answered. */
  endAlls: { group: Group; ended: number; victims: number; answeredAt: number }[];
  /** Signed-in answers of victims that a confirmed "end all" did not end (never told signed out). */
  endAllMissed: Finding[];
}

export function emptyStats(): PhaseStats {
  return {
    requests: 0,
    byStatus: new Map(),
    signOuts: [],
    revivals: [],
    unexpected: [],
    reasons: new Map(),
    reasonSamples: new Map(),
    unjudged: [],
    serverErrors: 0,
    badGateway: 0,
    networkErrors: 0,
    networkErrorSamples: [],
    retriedOnClosedConnection: 0,
    failures: [],
    longestMs: 0,
    longestWhat: '',
    harnessErrors: [],
    endAlls: [],
    endAllMissed: [],
  };
}

export interface User {
  readonly index: number;
  /** An "end all" group's members start as victims; the one that ends the others becomes the ender. */
  role: Role;
  /** The "end all" group of an ender or a victim. */
  readonly group: Group | undefined;
  readonly username: 'demo' | Group;
  /** The sign-in's idle timeout (admin's is half the demo's). */
  readonly expireAfterMs: number;
  /** Sign-out users: the demo's form (/logout) or the library's route. */
  readonly signOutBy: 'form' | 'library';
  /** The cookie of the sign-in, kept as it was: every request sends a copy (an old cookie included). */
  jar: CookieJar | undefined;
  /** The sign-in's marker (the ping's `session`), named in the X-Session-Security-Sign-In header. */
  marker: string | undefined;
  /** The session id in the cookie. */
  sessionId: string | undefined;
  signInSentAt: number;
  signInAnsweredAt: number;
  /** The latest activity the server must have recorded, at the earliest (ms). */
  floor: number;
  /** An end (sign-out, "end all") was asked at this time: answers from then on are not judged… */
  pendingSince: number | undefined;
  /** …until it was confirmed: requests sent from then on must find the sign-in ended. */
  endedSince: number | undefined;
  /** It was told it is signed out (first time): later signed-in answers are revivals. */
  toldOut: boolean;
}

export interface LoadPlan {
  origin: string;
  users: number;
  /** The mean pause between an active user's requests. */
  browseMs: number;
  /** Sign-ins are spread over this window from `t0`. */
  t0: number;
  signInWindowMs: number;
  /** When guest's ender ends the other sign-ins of guest. */
  guestEndAllAt: number;
  /** When admin's ender ends the other sign-ins of admin: set once the fault is over. */
  afterFault: { endAllAt: number | undefined };
  /** Sign-out users sign out at a time drawn from this range. */
  signOutFrom: number;
  signOutTo: number;
  /** Aborted when the phase is over: each user makes one last request and stops. */
  signal: AbortSignal;
  seed: number;
}

/** The server records activity at most once a second (the library's write interval). */
const WRITE_INTERVAL_MS = 1000;
/** A request that takes longer counts as a network error. */
const REQUEST_TIMEOUT_MS = 10_000;
/** After an unavailable answer, a user tries again sooner than its usual pause (as the client does). */
const RETRY_MS = 400;
/** A sign-out or "end all" that failed is tried again after this (the client's first retry). */
const END_RETRY_MS = 1000;
/** From this far past its latest possible deadline, an idle sign-in must be ended… */
const ENDED_AFTER_DEADLINE_MS = 500;
/** …and its probe goes this far past it (a timer may fire a millisecond early). */
const PROBE_AFTER_DEADLINE_MS = 1000;

/** The headers of the library's client for its pings and its logout (src/client/transport.ts). */
function clientHeaders(origin: string, marker: string | undefined): Record<string, string> {
  return {
    ...SAME_ORIGIN_FETCH,
    origin,
    'content-type': 'application/json',
    'x-session-security': 'passive',
    ...(marker ? { 'x-session-security-sign-in': marker } : {}),
  };
}

/** The session id in the demo's cookie (`s:<id>.<signature>`). */
function sessionIdOf(cookie: string | undefined): string | undefined {
  if (!cookie) return undefined;
  return /^s:(.+)\.[^.]+$/.exec(decodeURIComponent(cookie))?.[1];
}

/**
 * Runs the users of one phase until `plan.signal` aborts (then each makes one last request).
 * Resolves with the phase's counts once every user has stopped.
 */
export async function runUsers(plan: LoadPlan, users: User[], stats: PhaseStats): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: 96, maxFreeSockets: 96 });
  const { signal } = plan;

  /**
   * One request through nginx, with a copy of the user's cookie; never rejects. A request whose
   * kept-alive connection was closed under it (nginx closes idle ones as it reloads) is sent again
   * once on a new connection, as browsers do: the server never saw it.
   */
  function call(
    what: string,
    path: string,
    options: { method?: string; headers: Record<string, string>; body?: string },
    jar: CookieJar | undefined,
  ): Promise<Answer> {
    stats.requests++;
    const headers: Record<string, string> = { ...options.headers };
    const cookie = jar?.header();
    if (cookie) headers.cookie = cookie;
    if (options.body !== undefined) {
      headers['content-length'] = String(Buffer.byteLength(options.body));
    }
    const sentAt = Date.now();
    const attempt = (again: boolean) =>
      new Promise<Answer>((resolve) => {
        let socketAt = performance.now();
        let settled = false;
        const finish = (answer: Omit<Answer, 'sentAt' | 'answeredAt' | 'ms'>) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          const ms = performance.now() - socketAt;
          resolve({ ...answer, sentAt, answeredAt: Date.now(), ms });
        };
        const req = httpRequest(
          new URL(path, plan.origin),
          { method: options.method ?? 'GET', headers, agent },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (chunk: Buffer) => chunks.push(chunk));
            res.on('error', (error) => fail(error));
            res.on('end', () => {
              jar?.store(res.headers['set-cookie']);
              const text = Buffer.concat(chunks).toString('utf8');
              let json: Record<string, unknown> | undefined;
              try {
                json = JSON.parse(text) as Record<string, unknown>;
              } catch {
                json = undefined;
              }
              finish({
                status: res.statusCode ?? 0,
                location: res.headers.location,
                json,
                text,
                error: undefined,
              });
            });
          },
        );
        // Waiting for one of the agent's sockets is the harness's queue, not the server's time.
        req.on('socket', () => {
          socketAt = performance.now();
        });
        const fail = (error: Error & { code?: string }) => {
          if (!settled && !again && req.reusedSocket && error.code === 'ECONNRESET') {
            settled = true;
            clearTimeout(timer);
            stats.retriedOnClosedConnection++;
            resolve(attempt(true));
            return;
          }
          finish({
            status: 0,
            location: undefined,
            json: undefined,
            text: '',
            error: error.message,
          });
        };
        const timer = setTimeout(
          () => req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)),
          REQUEST_TIMEOUT_MS,
        );
        req.on('error', fail);
        req.end(options.body);
      });
    return attempt(false).then((answer) => {
      count(what, answer);
      return answer;
    });
  }

  function count(what: string, answer: Answer): void {
    stats.byStatus.set(answer.status, (stats.byStatus.get(answer.status) ?? 0) + 1);
    if (answer.status === 0) {
      stats.networkErrors++;
      if (stats.networkErrorSamples.length < 3) {
        stats.networkErrorSamples.push(`${what}: ${answer.error}`);
      }
    } else if (answer.status === 502) stats.badGateway++;
    else if (answer.status >= 500) stats.serverErrors++;
    if (process.env.FAULTS_DEBUG && answer.status >= 500) {
      console.error(`DEBUG ${answer.sentAt} ${what} ${answer.status} ${answer.text.slice(0, 120)}`);
    }
    if (answer.status === 0 || answer.status >= 500) {
      stats.failures.push({ sentAt: answer.sentAt, answeredAt: answer.answeredAt });
    }
    if (answer.ms > stats.longestMs) {
      stats.longestMs = answer.ms;
      stats.longestWhat = `${what} → ${answer.status || answer.error}`;
    }
  }

  /** How an answer to a page load or a ping reads, and the reason a signed-out one gives. */
  function verdictOf(kind: 'page' | 'ping', answer: Answer): { verdict: Verdict; reason: string } {
    const { status } = answer;
    if (status === 0 || status >= 500) return { verdict: 'unavailable', reason: '' };
    if (kind === 'page') {
      if (status === 200 && answer.text.includes('Welcome, ')) return { verdict: 'in', reason: '' };
      if (status === 303 && answer.location?.startsWith('/login')) {
        const reason = new URL(answer.location, plan.origin).searchParams.get('reason');
        return { verdict: 'out', reason: reason ?? 'none' };
      }
      return { verdict: 'unexpected', reason: '' };
    }
    if (status === 200 && answer.json?.status === 'active') return { verdict: 'in', reason: '' };
    if (status === 401) {
      const reason = answer.json?.reason;
      return { verdict: 'out', reason: typeof reason === 'string' ? reason : 'none' };
    }
    return { verdict: 'unexpected', reason: '' };
  }

  /** What the user had to see for a request sent at `sentAt` and answered at `answeredAt`. */
  function expectedOf(user: User, sentAt: number, answeredAt: number): Expected {
    if (user.endedSince !== undefined && sentAt >= user.endedSince) return 'ended';
    if (user.pendingSince !== undefined && answeredAt > user.pendingSince) return 'unknown';
    // Recorded activity is at least floor - 1 s; within expireAfter of it, the user is signed in.
    if (answeredAt - (user.floor - WRITE_INTERVAL_MS) < user.expireAfterMs) return 'in';
    return 'unknown';
  }

  /** Judges an answer against the user's expected state; true when the user was told it is signed out. */
  function judge(user: User, what: string, kind: 'page' | 'ping', answer: Answer): boolean {
    const { verdict, reason } = verdictOf(kind, answer);
    const expected = expectedOf(user, answer.sentAt, answer.answeredAt);
    const finding = (): Finding => ({
      user: user.index,
      role: user.role,
      what,
      status: answer.status,
      body: (answer.location ?? answer.text).slice(0, 200),
      at: answer.answeredAt,
    });
    if (verdict === 'unexpected') {
      stats.unexpected.push(finding());
      return false;
    }
    if (verdict === 'in') {
      if (expected !== 'ended') return false;
      // A victim never told it was signed out was not ended at all: "end all" missed it.
      if (user.role === 'victim' && !user.toldOut) stats.endAllMissed.push(finding());
      else stats.revivals.push(finding());
      return false;
    }
    if (verdict !== 'out') return false;
    if (!user.toldOut) {
      user.toldOut = true;
      stats.reasons.set(reason, (stats.reasons.get(reason) ?? 0) + 1);
      const sampleKey = `${reason} ${user.role}`;
      if (!stats.reasonSamples.has(sampleKey)) stats.reasonSamples.set(sampleKey, finding());
      if (expected === 'in') {
        stats.signOuts.push({
          user: user.index,
          role: user.role,
          what,
          status: answer.status,
          reason,
          at: answer.answeredAt,
          idleMs: answer.answeredAt - (user.floor - WRITE_INTERVAL_MS),
        });
      } else if (expected === 'unknown') {
        const since = (at: number | undefined) =>
          at === undefined ? '-' : `${answer.answeredAt - at} ms`;
        stats.unjudged.push({
          ...finding(),
          body: `${reason}; answered ${since(user.floor)} after the latest recorded activity, ${since(user.pendingSince)} after an end was asked, sent ${since(user.endedSince) === '-' ? '-' : `${answer.sentAt - (user.endedSince ?? 0)} ms`} after it was confirmed`,
        });
      }
      // From now on the sign-in is over: a signed-in answer later would bring it back (an idle
      // user's end, set ahead to its deadline, comes forward).
      if (user.endedSince === undefined || user.endedSince > answer.answeredAt) {
        user.endedSince = answer.answeredAt;
      }
    }
    return true;
  }

  /** A page load the user makes (counts as activity). */
  async function loadPage(user: User): Promise<boolean> {
    const answer = await call('page load', '/', { headers: NAVIGATE }, user.jar?.clone());
    const out = judge(user, 'page load', 'page', answer);
    if (!out && answer.status === 200) user.floor = Math.max(user.floor, answer.sentAt);
    return answer.status === 0 || answer.status >= 500;
  }

  /** `POST {prefix}/ping`: the page saw input `sinceActivity` seconds ago. */
  async function postPing(user: User, sinceActivity: number): Promise<Answer> {
    const answer = await call(
      'POST ping',
      '/session-security/ping',
      {
        method: 'POST',
        headers: clientHeaders(plan.origin, user.marker),
        body: JSON.stringify({ sinceActivity }),
      },
      user.jar?.clone(),
    );
    judge(user, 'POST ping', 'ping', answer);
    if (answer.status === 200 && answer.json?.status === 'active') {
      user.floor = Math.max(user.floor, answer.sentAt - sinceActivity * 1000);
      if (typeof answer.json.session === 'string') user.marker ??= answer.json.session;
    }
    return answer;
  }

  /** `GET {prefix}/ping`: reads the state, never extends it. */
  async function getPing(user: User, what = 'GET ping'): Promise<Answer> {
    const answer = await call(
      what,
      '/session-security/ping',
      { headers: clientHeaders(plan.origin, user.marker) },
      user.jar?.clone(),
    );
    judge(user, what, 'ping', answer);
    if (answer.status === 200 && typeof answer.json?.session === 'string') {
      user.marker ??= answer.json.session;
    }
    return answer;
  }

  /** Signs in through the demo's form; false (a harness error) when it is refused. */
  async function signIn(user: User): Promise<boolean> {
    const jar = new CookieJar();
    const answer = await call(
      'sign-in',
      '/login',
      {
        method: 'POST',
        headers: {
          ...NAVIGATE,
          origin: plan.origin,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: `username=${user.username}&password=${user.username}&next=%2F`,
      },
      jar,
    );
    const cookie = jar.cookies.get('demo.sid');
    if (answer.status !== 303 || answer.location !== '/' || !cookie) {
      stats.harnessErrors.push(
        `user ${user.index}: sign-in answered ${answer.status || answer.error} ${answer.location ?? answer.text.slice(0, 80)}`,
      );
      return false;
    }
    user.jar = jar;
    user.sessionId = sessionIdOf(cookie);
    user.signInSentAt = answer.sentAt;
    user.signInAnsweredAt = answer.answeredAt;
    user.floor = answer.sentAt;
    return true;
  }

  /**
   * Browses (page loads and POST pings) until `until()` or the end; false once told signed out.
   * A pause never runs past `deadline()` (a sign-out or "end all" planned then happens on time).
   */
  async function browse(
    user: User,
    next: () => number,
    until: () => boolean,
    deadline: () => number = () => Number.POSITIVE_INFINITY,
  ): Promise<boolean> {
    let failed = false;
    while (!signal.aborted && !until() && !user.toldOut) {
      const pause = failed ? RETRY_MS : plan.browseMs * (0.7 + 0.6 * next());
      await sleep(Math.min(pause, deadline() - Date.now()), signal);
      if (signal.aborted || until()) break;
      if (next() < 0.5) {
        failed = await loadPage(user);
      } else {
        const answer = await postPing(user, Math.round(next() * 10) / 10);
        failed = answer.status === 0 || answer.status >= 500;
      }
    }
    return !user.toldOut;
  }

  /** Probes an ended sign-in's old cookie until the end: a ping naming it first, then pages and pings. */
  async function probeEnded(user: User, next: () => number): Promise<void> {
    let round = 0;
    while (!signal.aborted) {
      if (round++ % 2 === 0) await getPing(user, 'GET ping (ended)');
      else await loadPage(user);
      await sleep(plan.browseMs * (0.7 + 0.6 * next()), signal);
    }
  }

  /** Asks for an end until it is confirmed (as the client does), or the phase ends. */
  async function askUntilDone(
    attempt: () => Promise<'done' | 'retry' | 'stop'>,
    onFirst: (sentAt: number) => void,
  ): Promise<boolean> {
    let first = true;
    while (!signal.aborted) {
      if (first) onFirst(Date.now());
      first = false;
      const outcome = await attempt();
      if (outcome !== 'retry') return outcome === 'done';
      await sleep(END_RETRY_MS, signal);
    }
    return false;
  }

  /** Signs out through the demo's form or the library's route; the old cookie is probed after. */
  async function signOut(user: User): Promise<void> {
    await askUntilDone(
      async () => {
        const answer =
          user.signOutBy === 'form'
            ? await call(
                'sign-out (/logout)',
                '/logout',
                {
                  method: 'POST',
                  headers: {
                    ...NAVIGATE,
                    origin: plan.origin,
                    'content-type': 'application/x-www-form-urlencoded',
                  },
                  body: '',
                },
                user.jar?.clone(),
              )
            : await call(
                'sign-out (library)',
                '/session-security/logout',
                { method: 'POST', headers: clientHeaders(plan.origin, user.marker) },
                user.jar?.clone(),
              );
        const done =
          user.signOutBy === 'form'
            ? answer.status === 303 && answer.location?.startsWith('/login')
            : (answer.status === 200 || answer.status === 401) &&
              ['anonymous', 'expired'].includes(String(answer.json?.status));
        if (done) {
          user.endedSince = answer.answeredAt;
          return 'done';
        }
        if (answer.status === 0 || answer.status >= 500) return 'retry';
        stats.unexpected.push({
          user: user.index,
          role: user.role,
          what: `sign-out (${user.signOutBy})`,
          status: answer.status,
          body: (answer.location ?? answer.text).slice(0, 200),
          at: answer.answeredAt,
        });
        return 'stop';
      },
      (sentAt) => {
        user.pendingSince ??= sentAt;
      },
    );
  }

  /** The ender's "sign out everywhere else" on /sessions, with the password, as the demo asks. */
  async function endAll(ender: User): Promise<void> {
    const victims = users.filter((user) => user !== ender && user.group === ender.group);
    const live = victims.filter((victim) => victim.jar && !victim.toldOut).length;
    let tries = 0;
    await askUntilDone(
      async () => {
        tries++;
        const answer = await call(
          'end all others (/sessions)',
          '/sessions',
          {
            method: 'POST',
            headers: {
              ...NAVIGATE,
              origin: plan.origin,
              'content-type': 'application/x-www-form-urlencoded',
            },
            body: `password=${ender.username}&end=others`,
          },
          ender.jar?.clone(),
        );
        const ended = /^\/sessions\?ended=(\d+)/.exec(answer.location ?? '')?.[1];
        if (answer.status === 303 && ended !== undefined) {
          // Victims told earlier that they were signed out keep their earlier end.
          for (const victim of victims) {
            victim.endedSince = Math.min(victim.endedSince ?? answer.answeredAt, answer.answeredAt);
          }
          stats.endAlls.push({
            group: ender.group ?? 'guest',
            ended: Number(ended),
            victims: live,
            answeredAt: answer.answeredAt,
          });
          return 'done';
        }
        if (answer.status === 303 && answer.location?.startsWith('/login')) {
          // The ender was not signed in: this "end all" ended nothing. Unless an earlier try
          // failed on the way (it may have ended some), its victims are judged as before.
          judge(ender, 'end all others (/sessions)', 'page', answer);
          if (tries === 1) {
            for (const victim of victims) {
              if (victim.endedSince === undefined) victim.pendingSince = undefined;
            }
          }
          return 'stop';
        }
        if (answer.status === 0 || answer.status >= 500) return 'retry';
        stats.unexpected.push({
          user: ender.index,
          role: ender.role,
          what: 'end all others (/sessions)',
          status: answer.status,
          body: (answer.location ?? answer.text).slice(0, 200),
          at: answer.answeredAt,
        });
        return 'stop';
      },
      (sentAt) => {
        for (const victim of victims) victim.pendingSince ??= sentAt;
      },
    );
  }

  const waitUntil = (at: number) => sleep(at - Date.now(), signal);
  /** The groups whose "end all" a member has taken on. */
  const enders = new Set<Group>();

  async function run(user: User): Promise<void> {
    const next = seeded(plan.seed * 100_003 + user.index);
    await waitUntil(plan.t0 + (user.index / plan.users) * plan.signInWindowMs);
    if (signal.aborted || !(await signIn(user))) return;
    switch (user.role) {
      case 'idle': {
        // The GET ping names the sign-in and never extends it: the deadline is the sign-in's.
        await getPing(user);
        const deadline = user.signInAnsweredAt + user.expireAfterMs;
        user.endedSince = deadline + ENDED_AFTER_DEADLINE_MS;
        await waitUntil(user.signInSentAt + user.expireAfterMs - 2000);
        if (!signal.aborted) await getPing(user, 'GET ping (idle, before its deadline)');
        await waitUntil(deadline + PROBE_AFTER_DEADLINE_MS);
        if (!signal.aborted) await getPing(user, 'GET ping (idle, after its deadline)');
        await probeEnded(user, next);
        break;
      }
      case 'active': {
        await postPing(user, 0);
        await browse(user, next, () => false);
        break;
      }
      case 'sign-out': {
        await postPing(user, 0);
        const at = plan.signOutFrom + next() * (plan.signOutTo - plan.signOutFrom);
        if (
          await browse(
            user,
            next,
            () => Date.now() >= at,
            () => at,
          )
        ) {
          if (!signal.aborted) await signOut(user);
        }
        await probeEnded(user, next);
        break;
      }
      case 'victim': {
        // Every member of an "end all" group browses until its group's time; then the first one
        // still signed in ends the others (guest's before the fault, admin's once it is over).
        await postPing(user, 0);
        const at = () =>
          user.group === 'admin'
            ? (plan.afterFault.endAllAt ?? Number.POSITIVE_INFINITY)
            : plan.guestEndAllAt;
        await browse(user, next, () => Date.now() >= at() || user.pendingSince !== undefined, at);
        if (!signal.aborted && !user.toldOut && user.group && !enders.has(user.group)) {
          enders.add(user.group);
          user.role = 'ender';
          await endAll(user);
          await browse(user, next, () => false);
          break;
        }
        await browse(user, next, () => user.endedSince !== undefined);
        await probeEnded(user, next);
        break;
      }
    }
    // The phase is over: one last look at the sign-in, whatever its state.
    if (user.jar) await getPing(user, 'GET ping (last)');
  }

  try {
    await Promise.all(users.map(run));
  } finally {
    agent.destroy();
  }
}

/**
 * The users of a phase: per ten, two idle, two that sign out (the form and the library's route in
 * turn), one of the `guest` group, one of the `admin` group and four active. Admin's sign-ins get half the idle timeout, as the demo gives them.
 */
export function makeUsers(count: number, expireAfterSeconds: number): User[] {
  // The demo's rule for admin (examples/demo/idle-timeouts.ts): half, in whole seconds, at least 1.
  const adminExpireAfterMs = Math.max(1, Math.round(expireAfterSeconds / 2)) * 1000;
  return Array.from({ length: count }, (_, index): User => {
    const slot = index % 10;
    let role: Role = 'active';
    let group: Group | undefined;
    if (slot < 2) role = 'idle';
    else if (slot < 4) role = 'sign-out';
    else if (slot < 6) {
      group = slot === 4 ? 'guest' : 'admin';
      role = 'victim'; // the first still signed in at its group's time becomes the ender
    }
    return {
      index,
      role,
      group,
      username: group ?? 'demo',
      expireAfterMs: group === 'admin' ? adminExpireAfterMs : expireAfterSeconds * 1000,
      signOutBy: slot === 2 ? 'form' : 'library',
      jar: undefined,
      marker: undefined,
      sessionId: undefined,
      signInSentAt: 0,
      signInAnsweredAt: 0,
      floor: 0,
      pendingSince: undefined,
      endedSince: undefined,
      toldOut: false,
    };
  });
}
