// fetchClientConfig: what a single-page app's client gets from the app's config route, and what
// the console says when it cannot start (nobody signed in, the route missing, a dev server's own
// page). The route itself is tested on every adapter (test/conformance/protocol.test.ts).

import { fetchClientConfig } from 'session-security/client';
import { describe, expect, it, vi } from 'vitest';

const CONFIG = { pingUrl: '/session-security/ping', logoutUrl: '/session-security/logout' };

/** A fetch that answers once with `body` (JSON unless a string), and records what it was asked. */
function answering(status: number, body: unknown, type = 'application/json; charset=utf-8') {
  const asked: { url: string; init: RequestInit | undefined }[] = [];
  const fake = vi.fn(async (url: string | URL | Request, init?: RequestInit) => {
    asked.push({ url: String(url), init });
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    return new Response(text, { status, headers: { 'content-type': type } });
  });
  return { fetch: fake as unknown as typeof fetch, asked };
}

const quiet = () => ({ info: vi.fn(), warn: vi.fn() });

describe('fetchClientConfig', () => {
  it('resolves with the config of a signed-in session, asking with the page cookies and its language', async () => {
    const { fetch, asked } = answering(200, { status: 'active', idleFor: 0, config: CONFIG });
    const out = quiet();
    const config = await fetchClientConfig('http://app.test/session-security/config', {
      fetch,
      lang: 'de',
      console: out,
    });
    expect(config).toEqual(CONFIG);
    expect(asked[0]?.url).toBe('http://app.test/session-security/config?lang=de');
    expect(asked[0]?.init?.credentials).toBe('same-origin');
    expect(out.info).not.toHaveBeenCalled();
    expect(out.warn).not.toHaveBeenCalled();
  });

  it.each([
    [401, { status: 'anonymous' }, 'application/json', 'info', /nobody is signed in/],
    [401, { status: 'expired', reason: 'idle' }, 'application/json', 'info', /expired \(idle\)/],
    [
      404,
      '<!doctype html><div id="root">',
      'text/html',
      'warn',
      /answered 404 \(text\/html\), not session-security's JSON.*Vite: server\.proxy/,
    ],
    [200, '<!doctype html>', 'text/html', 'warn', /answered 200 \(text\/html\)/],
    [
      403,
      { status: 'error', error: 'Sec-Fetch-Site "cross-site" is not allowed' },
      'application/json',
      'warn',
      /answered 403: Sec-Fetch-Site/,
    ],
    [
      503,
      { status: 'error', error: 'the session store is unavailable' },
      'application/json',
      'warn',
      /503: the session store/,
    ],
    [200, { status: 'active' }, 'application/json', 'warn', /answered 200$/],
    [200, '{"status":', 'application/json', 'warn', /not session-security's JSON/],
  ] as const)(
    'answered %s %j: resolves undefined and says why with console.%s',
    async (status, body, type, level, message) => {
      const { fetch } = answering(status, body, type);
      const out = quiet();
      expect(
        await fetchClientConfig('http://app.test/c', { fetch, console: out, lang: '' }),
      ).toBeUndefined();
      const other = level === 'info' ? 'warn' : 'info';
      expect(out[level]).toHaveBeenCalledTimes(1);
      expect(out[other]).not.toHaveBeenCalled();
      expect(String(out[level].mock.calls[0]?.[0])).toMatch(
        /^session-security: the client did not start:/,
      );
      expect(String(out[level].mock.calls[0]?.[0])).toMatch(message);
    },
  );

  it('says so when the request fails', async () => {
    const out = quiet();
    const fetch = (async () => {
      throw new TypeError('Failed to fetch');
    }) as typeof globalThis.fetch;
    expect(
      await fetchClientConfig('http://app.test/c', { fetch, console: out, lang: '' }),
    ).toBeUndefined();
    expect(String(out.warn.mock.calls[0]?.[0])).toMatch(
      /GET http:\/\/app\.test\/c failed \(TypeError: Failed to fetch\)/,
    );
  });
});
