// session-security/adapter: what it gives an adapter author, and the size of the adapter it makes.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as kit from '../../src/adapter/index.js';
import { FakeSession } from '../support/fake-session.js';

const lines = (path: string) =>
  readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8')
    .trimEnd()
    .split('\n').length;

describe('the adapter kit', () => {
  it('exports the lifecycle and the helpers an adapter is made of', () => {
    for (const name of ['createLifecycle', 'appMethods', 'nodeRequestFacts', 'readNodeBody']) {
      expect(typeof (kit as Record<string, unknown>)[name], name).toBe('function');
    }
  });

  it('makes a whole node:http adapter in under 80 lines (examples/node-http/adapter.ts)', () => {
    expect(lines('examples/node-http/adapter.ts')).toBeLessThan(80);
  });

  it('answers in one shape, decided by the lifecycle: a 303 with no-store, the JSON with Clear-Site-Data', async () => {
    let now = Date.UTC(2026, 0, 1);
    const lifecycle = kit.createLifecycle<{ signedIn: boolean }>({
      isAuthenticated: (req) => req.signedIn,
      loginUrl: '/login',
      expireAfter: 900,
      drafts: false,
      clock: { now: () => now },
    });
    const session = new FakeSession('sid');
    const request = (method: string, path: string, headers: Record<string, string>) => ({
      req: { signedIn: true },
      method,
      path,
      url: path,
      appOrigin: 'http://app.test',
      header: (name: string) => headers[name],
      readBody: async () => ({ kind: 'text' as const, text: '' }),
    });
    const page = request('GET', '/reports', { 'sec-fetch-mode': 'navigate' });
    expect(await lifecycle.handle(page, session)).toEqual({ kind: 'next' });
    now += 901_000;
    expect(await lifecycle.handle(page, session)).toEqual({
      kind: 'reply',
      status: 303,
      headers: { location: '/login?next=%2Freports&reason=idle', 'cache-control': 'no-store' },
      body: null,
    });
    // The library's own logout route: the answer clears the browser's cache.
    const logout = request('POST', '/session-security/logout', { 'sec-fetch-site': 'same-origin' });
    const out = await lifecycle.handle(logout, session);
    expect(out).toMatchObject({ kind: 'reply', status: 200, body: '{"status":"anonymous"}' });
    expect(out.kind === 'reply' && out.headers).toEqual({
      'cache-control': 'no-store',
      'clear-site-data': '"cache"',
      'content-type': 'application/json; charset=utf-8',
    });
  });
});
