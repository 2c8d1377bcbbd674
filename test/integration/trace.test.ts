// The trace (the `trace` option) through HTTP on Express and express-session, on a fake clock: one
// sign-in from its start to its expiry, each request's effect on the clock and why (a request, a
// ping, a passive rule, a header, another site, a lease), and the readable lines the logger's
// `info` gets; and nothing of it without the option.

import { afterEach, describe, expect, it } from 'vitest';
import type { SessionSecurityEvent, TraceEvent } from '../../src/index.js';
import { startTestApp } from '../support/express-app.js';
import { NAVIGATE, SAME_ORIGIN_FETCH, send } from '../support/http.js';

type App = Awaited<ReturnType<typeof startTestApp>>;
const apps: App[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

async function start(trace: boolean) {
  const events: SessionSecurityEvent[] = [];
  const lines: string[] = [];
  const app = await startTestApp({
    security: {
      expireAfter: 60,
      warnAfter: 30,
      absoluteTimeout: 3600,
      passive: ['/api/poll'],
      leases: { maxSeconds: 600 },
      trace,
      onEvent: (event) => {
        events.push(event);
      },
      logger: {
        warn: () => {},
        error: () => {},
        info: (line: string) => {
          lines.push(line);
        },
      },
    },
  });
  apps.push(app);
  const jar = await app.signIn();
  const get = (path: string, headers: Record<string, string> = SAME_ORIGIN_FETCH) =>
    send(app.origin, path, { headers }, jar);
  const post = (path: string, body: unknown) =>
    send(
      app.origin,
      path,
      {
        method: 'POST',
        headers: { ...SAME_ORIGIN_FETCH, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      },
      jar,
    );
  const traces = () => events.filter((event): event is TraceEvent => event.type === 'trace');
  return { app, events, lines, get, post, traces };
}

describe('the trace of a sign-in', () => {
  it('says what each request did to the clock and why, from the first request to the expiry', async () => {
    const t = await start(true);
    await t.get('/', NAVIGATE);
    t.app.clock.advance(10);
    await t.get('/api/poll');
    await t.get('/api/data', { ...SAME_ORIGIN_FETCH, 'x-session-security': 'passive' });
    await t.get('/api/data', { ...SAME_ORIGIN_FETCH, 'sec-fetch-site': 'cross-site' });
    await t.post('/session-security/ping', { sinceActivity: 4 });
    await t.post('/session-security/ping', { sinceActivity: 0, extend: true });
    await t.get('/session-security/ping');
    const held = await t.post('/session-security/lease', { hold: { label: 'upload' } });
    t.app.clock.advance(100);
    await t.get('/session-security/ping');
    await t.post('/session-security/lease', { end: held.json?.lease });
    t.app.clock.advance(60);
    const expired = await t.get('/api/data');
    expect(expired.status).toBe(401);

    expect(
      t.traces().map(({ method, path, counted, why, detail, idleFor, held: h }) => ({
        request: `${method} ${path}`,
        counted,
        why,
        ...(detail !== undefined && { detail }),
        ...(idleFor !== undefined && { idleFor }),
        ...(h && { held: h }),
      })),
    ).toEqual([
      { request: 'GET /', counted: 'activity', why: 'request', idleFor: 0 },
      {
        request: 'GET /api/poll',
        counted: 'passive',
        why: 'passive-rule',
        detail: 'passive[0] /api/poll',
        idleFor: 10,
      },
      { request: 'GET /api/data', counted: 'passive', why: 'passive-header', idleFor: 10 },
      { request: 'GET /api/data', counted: 'passive', why: 'elsewhere', idleFor: 10 },
      {
        request: 'POST /session-security/ping',
        counted: 'activity',
        why: 'ping',
        detail: 'input 4 s ago',
        idleFor: 4,
      },
      { request: 'POST /session-security/ping', counted: 'activity', why: 'stay', idleFor: 0 },
      { request: 'GET /session-security/ping', counted: 'passive', why: 'read', idleFor: 0 },
      {
        request: 'GET /session-security/ping',
        counted: 'passive',
        why: 'read',
        idleFor: 0,
        held: true,
      },
      { request: 'GET /api/data', counted: 'ended', why: 'ended' },
    ]);
    expect(t.traces().at(-1)).toMatchObject({ reason: 'idle' });

    // Every event, in one readable line each, to the logger's info.
    const body = t.lines.map((line) => line.replace(/^session-security: \S+ \[\S+ ada\] /, ''));
    expect(body).toEqual([
      'signed in: idle timeout 60 s, warning at 30 s, absolute timeout 3600 s',
      'GET /: activity (a request of the app): idle 0 s, ends in 60 s',
      'GET /api/poll: passive (a passive rule: passive[0] /api/poll): idle 10 s, ends in 50 s',
      'GET /api/data: passive (marked X-Session-Security: passive): idle 10 s, ends in 50 s',
      'GET /api/data: passive (made by another origin or site): idle 10 s, ends in 50 s',
      "POST /session-security/ping: activity (the user's input, reported by the client: input 4 s ago): idle 4 s, ends in 56 s",
      'stayed signed in (the warning\'s "Stay signed in")',
      'POST /session-security/ping: activity (the warning\'s "Stay signed in"): idle 0 s, ends in 60 s',
      'GET /session-security/ping: passive (the client asks the time): idle 0 s, ends in 60 s',
      expect.stringMatching(/^lease held by the browser \("upload"\), 600 s at most \(until /),
      'GET /session-security/ping: passive (the client asks the time): idle 0 s, ends in 60 s, held by a lease',
      'lease ended by the browser: settled after 100 s; idle time counts from here',
      'GET /api/data: refused, idle (the sign-in is over)',
      expect.stringMatching(
        /^expired \(idle\) at \S+: 60 s idle, counted from the end of its lease at \S+; found by a request$/,
      ),
    ]);
  });

  it('makes no trace event and writes no line without the option', async () => {
    const t = await start(false);
    await t.get('/', NAVIGATE);
    await t.get('/session-security/ping');
    expect(t.traces()).toEqual([]);
    expect(t.lines).toEqual([]);
    expect(t.events.length).toBeGreaterThan(0);
  });
});
