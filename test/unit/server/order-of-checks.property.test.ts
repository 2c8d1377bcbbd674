// The order in which the lifecycle checks a request to the library's routes is the protocol
// (docs/reference/protocol.md, The ping protocol): no session 503, then 404, 405, 403, the client's assets, 415, 413,
// a cut-off body 400, anonymous, logout, and for a ping its expiry 401 before a malformed body's
// 400. A request with several faults gets the answer of the first: any other order fails here.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createLifecycle } from '../../../src/adapter/index.js';
import { MAX_BODY_BYTES } from '../../../src/core/protocol.js';
import type { Reply } from '../../../src/server/outcome.js';
import { FakeSession } from '../../support/fake-session.js';

const APP = 'http://app.test';
const T0 = Date.UTC(2026, 0, 1);

type Target = 'ping' | 'logout' | 'asset' | 'unknown';
const PATHS: Record<Target, string> = {
  ping: '/session-security/ping',
  logout: '/session-security/logout',
  asset: '/session-security/client.js',
  unknown: '/session-security/nope',
};
const ALLOWED: Record<Target, readonly string[]> = {
  ping: ['GET', 'POST'],
  logout: ['POST'],
  asset: ['GET', 'HEAD'],
  unknown: [],
};

interface Case {
  target: Target;
  method: 'GET' | 'HEAD' | 'POST' | 'PUT';
  noSession: boolean;
  foreignOrigin: boolean;
  wrongContentType: boolean;
  body: 'ok' | 'malformed' | 'tooLarge' | 'cutOff';
  anonymous: boolean;
  expired: boolean;
}

/** The answer the documented order gives: the first fault's, as a status and a short name. */
function expected(c: Case): string {
  if (c.noSession) return '503 no session';
  if (c.target === 'unknown') return '404 not found';
  if (!ALLOWED[c.target].includes(c.method)) return '405 method not allowed';
  if (c.foreignOrigin) return '403 cross-origin';
  if (c.target === 'asset') return '200 asset';
  const readsBody = c.target === 'ping' && c.method === 'POST';
  if (readsBody && c.wrongContentType) return '415 media type';
  if (readsBody && c.body === 'tooLarge') return '413 too large';
  if (readsBody && c.body === 'cutOff') return '400 cut off';
  if (c.anonymous) return c.target === 'ping' ? '401 anonymous' : '200 signed out';
  if (c.target === 'logout') return '200 signed out';
  if (c.expired) return '401 expired';
  if (readsBody && c.body === 'malformed') return '400 bad request';
  return '200 active';
}

/** What the lifecycle answered, in the same words. */
function described({ status, headers, body }: Reply): string {
  if (status === 200 && !headers['content-type']?.startsWith('application/json'))
    return '200 asset';
  const json = JSON.parse(String(body)) as { status?: string; error?: string };
  if (status === 503) return '503 no session';
  if (status === 404) return '404 not found';
  if (status === 405) return '405 method not allowed';
  if (status === 403) return '403 cross-origin';
  if (status === 415) return '415 media type';
  if (status === 413) return '413 too large';
  if (status === 400) return json.error?.includes('cut off') ? '400 cut off' : '400 bad request';
  if (status === 401) return `401 ${json.status}`;
  if (status === 200 && json.status === 'anonymous') return '200 signed out';
  if (status === 200 && json.status === 'active') return '200 active';
  return `${status} ${String(body)}`;
}

async function answer(c: Case): Promise<string> {
  let now = T0;
  const lifecycle = createLifecycle<{ signedIn: boolean }>({
    isAuthenticated: (req) => req.signedIn,
    expireAfter: 900,
    drafts: false,
    clock: { now: () => now },
    logger: { warn: () => {}, error: () => {} },
  });
  const session = new FakeSession('sid');
  const request = (path: string, method: string, headers: Record<string, string>, body = '') => ({
    req: { signedIn: !c.anonymous },
    method,
    path,
    url: path,
    appOrigin: APP,
    header: (name: string) => headers[name],
    readBody: async (limitBytes: number) =>
      c.body === 'cutOff'
        ? ({ kind: 'aborted' } as const)
        : body.length > limitBytes
          ? ({ kind: 'tooLarge' } as const)
          : ({ kind: 'text', text: body } as const),
  });
  // A signed-in session's clock starts with a page of the app.
  const first = await lifecycle.handle(request('/', 'GET', {}), session);
  expect(first.kind).toBe('next');
  now += c.expired ? 901_000 : 10_000;
  const body = {
    ok: '{"sinceActivity":0}',
    malformed: '{"sinceActivity":-1}',
    tooLarge: `{"sinceActivity":0,"pad":"${'x'.repeat(MAX_BODY_BYTES)}"}`,
    cutOff: '{"sinceActivity":',
  }[c.body];
  const headers: Record<string, string> = {
    'content-type': c.wrongContentType ? 'text/plain' : 'application/json',
    'sec-fetch-site': 'same-origin',
    ...(c.foreignOrigin ? { origin: 'https://elsewhere.test' } : {}),
  };
  const noSession = Object.assign(new FakeSession('sid'), { exists: () => false });
  const outcome = await lifecycle.handle(
    request(PATHS[c.target], c.method, headers, body),
    c.noSession ? noSession : session,
  );
  if (outcome.kind === 'next') return 'next';
  return described(outcome);
}

const cases = fc.record<Case>({
  target: fc.constantFrom('ping', 'logout', 'asset', 'unknown'),
  method: fc.constantFrom('GET', 'HEAD', 'POST', 'PUT'),
  noSession: fc.boolean(),
  foreignOrigin: fc.boolean(),
  wrongContentType: fc.boolean(),
  body: fc.constantFrom('ok', 'malformed', 'tooLarge', 'cutOff'),
  anonymous: fc.boolean(),
  expired: fc.boolean(),
});

describe('the order of checks on the library routes', () => {
  it('answers a request with several faults as its first fault in the documented order', async () => {
    await fc.assert(
      fc.asyncProperty(cases, async (c) => {
        expect(await answer(c)).toBe(expected(c));
      }),
      { numRuns: 400 },
    );
  });

  it.each([
    [{ target: 'ping', method: 'POST', expired: true, body: 'malformed' }, '401 expired'],
    [{ target: 'ping', method: 'PUT', foreignOrigin: true }, '405 method not allowed'],
    [{ target: 'unknown', method: 'PUT', foreignOrigin: true }, '404 not found'],
    [
      { target: 'ping', method: 'POST', foreignOrigin: true, wrongContentType: true },
      '403 cross-origin',
    ],
    [
      { target: 'ping', method: 'POST', wrongContentType: true, body: 'tooLarge' },
      '415 media type',
    ],
    [{ target: 'ping', method: 'POST', anonymous: true, body: 'cutOff' }, '400 cut off'],
    [{ target: 'logout', method: 'POST', noSession: true, foreignOrigin: true }, '503 no session'],
  ] as const)('%o is answered %s', async (overrides, answered) => {
    const c: Case = {
      noSession: false,
      foreignOrigin: false,
      wrongContentType: false,
      body: 'ok',
      anonymous: false,
      expired: false,
      ...overrides,
    };
    expect(expected(c)).toBe(answered);
    expect(await answer(c)).toBe(answered);
  });
});
