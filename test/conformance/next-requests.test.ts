// Conformance of session-security/next's proxy on Next.js's request path (harness-next.ts: the
// proxy run by Next's own proxy adapter), with each store, with Next's default settings and with
// `skipProxyUrlNormalize`: the router's background requests (RSC payloads, prefetches), sent as
// Next's router sends them, are passive and, once the sign-in is over, sent to the login page
// without `_rsc`; a Server Action of the app's own pages counts as activity, one made from
// elsewhere does not, and one of a sign-in that is over is sent to the login page by Next's
// `x-action-redirect`; the URL the proxy tells the page is its own, whatever the client sent.

import { describe, expect, it } from 'vitest';
import { type CookieJar, NAVIGATE, SAME_ORIGIN_FETCH, send } from '../support/http.js';
import { STORES, useAdapter } from './adapters.js';
import type { ConformanceApp, Harness } from './harness.js';
import { nextHarness, nextHarnessWith } from './harness-next.js';

/** Next's router state tree of the page `/` (Next-Router-State-Tree, URI-encoded JSON). */
const STATE_TREE = '%5B%22%22%2C%7B%22children%22%3A%5B%22__PAGE__%22%2C%7B%7D%5D%7D%5D';

/**
 * What Next's router sends for the payload of a page (a client navigation, `router.refresh()`)
 * from the page `/` (fetch-server-response.js; `_rsc` in the URL: set-cache-busting-search-param.js).
 */
const RSC_FETCH = {
  ...SAME_ORIGIN_FETCH,
  accept: 'text/x-component',
  rsc: '1',
  'next-router-state-tree': STATE_TREE,
  'next-url': '/',
};

/** What it sends for a prefetch of a page's dynamic data (segment-cache/cache.js). */
const PREFETCH = { ...RSC_FETCH, 'next-router-prefetch': '1' };

/** What it sends for a prefetch of one segment (segment-cache/cache.js): no state tree. */
const SEGMENT_PREFETCH = {
  ...SAME_ORIGIN_FETCH,
  accept: 'text/x-component',
  rsc: '1',
  'next-router-prefetch': '1',
  'next-router-segment-prefetch': '/_tree',
  'next-url': '/',
};

/** A request as the proxy sees the router's ones once Next has taken its headers off. */
const NEXT_URL_ONLY = { ...SAME_ORIGIN_FETCH, 'next-url': '/' };

const SETTINGS: readonly (readonly [string, Harness])[] = [
  ["Next's default settings", nextHarness],
  ['skipProxyUrlNormalize', nextHarnessWith({ skipProxyUrlNormalize: true })],
];

describe.each(SETTINGS)('next with %s', (settingsName, harness) => {
  const unnormalized = settingsName === 'skipProxyUrlNormalize';

  describe.each(STORES)('with the %s store', (storeKind) => {
    const adapter = useAdapter(harness, storeKind);
    let app: ConformanceApp;
    const start = async () => {
      app = await adapter.start({ security: { loginUrl: '/login' } });
      return app;
    };
    /** Signs in at the app's time 0 and starts the clock there with a first (passive) request. */
    const signedIn = async () => {
      const jar = await app.signIn();
      expect((await getPing(jar)).json?.idleFor).toBe(0);
      return jar;
    };
    const getPing = (jar: CookieJar) =>
      send(app.origin, '/session-security/ping', { headers: SAME_ORIGIN_FETCH }, jar);
    const page = (jar: CookieJar, path = '/') => send(app.origin, path, { headers: NAVIGATE }, jar);
    /**
     * What Next's client sends for a Server Action from the page `path`, to that page's URL
     * (server-action-reducer.js): `Next-Action`, the state tree, no `Next-Url` (the page has no
     * intercepted route), the arguments as `text/plain`; the browser adds the page as `Referer`.
     */
    const action = (jar: CookieJar, headers: Record<string, string> = {}, path = '/test/action') =>
      send(
        app.origin,
        path,
        {
          method: 'POST',
          headers: {
            accept: 'text/x-component',
            'next-action': '7f3a9c0e5b1d2f4a6c8e0b2d4f6a8c0e1b3d5f7a9c',
            'next-router-state-tree': STATE_TREE,
            'content-type': 'text/plain;charset=UTF-8',
            origin: app.origin,
            'sec-fetch-site': 'same-origin',
            'sec-fetch-mode': 'cors',
            'sec-fetch-dest': 'empty',
            referer: `${app.origin}${path}`,
            ...headers,
          },
          body: '[]',
        },
        jar,
      );

    const passive: [string, Record<string, string>, string][] = [
      ['an RSC request (RSC: 1, Next-Url, ?_rsc=)', RSC_FETCH, '/?_rsc=1a2b3'],
      ['a prefetch (Next-Router-Prefetch: 1, Next-Url, ?_rsc=)', PREFETCH, '/?_rsc=4c5d6'],
      [
        'a segment prefetch (Next-Router-Segment-Prefetch, Next-Url, ?_rsc=)',
        SEGMENT_PREFETCH,
        '/?_rsc=7e8f9',
      ],
      ['a request with only Next-Url (as the proxy sees the router’s ones)', NEXT_URL_ONLY, '/'],
      [
        'a browser prefetch (Sec-Purpose: prefetch)',
        { ...NAVIGATE, 'sec-purpose': 'prefetch' },
        '/',
      ],
    ];
    // Only with skipProxyUrlNormalize does the proxy see the router's own headers: a request
    // with one of them and no Next-Url (which Next would strip bare) is then passive too.
    if (unnormalized) {
      passive.push(
        [
          'an RSC request without Next-Url (seen only with skipProxyUrlNormalize)',
          { ...SAME_ORIGIN_FETCH, rsc: '1' },
          '/?_rsc=1a2b3',
        ],
        [
          'a prefetch without Next-Url (seen only with skipProxyUrlNormalize)',
          { ...SAME_ORIGIN_FETCH, 'next-router-prefetch': '1' },
          '/',
        ],
        [
          'a segment prefetch without Next-Url (seen only with skipProxyUrlNormalize)',
          { ...SAME_ORIGIN_FETCH, 'next-router-segment-prefetch': '/_tree' },
          '/',
        ],
      );
    }

    describe("the router's background requests are passive", () => {
      it.each(passive)(
        '%s every 100 s keeps nobody signed in: at 901 s the page goes to the login page',
        async (_name, headers, path) => {
          await start();
          const jar = await signedIn();
          for (let at = 100; at <= 800; at += 100) {
            app.clock.advance(100);
            const reply = await send(app.origin, path, { headers }, jar);
            expect(reply.status).toBe(200);
            expect(reply.text).toContain('hello ada');
          }
          expect((await getPing(jar)).json?.idleFor).toBe(800);
          app.clock.advance(101);
          const reply = await page(jar);
          expect(reply.status).toBe(303);
          expect(reply.headers.location).toBe('/login?next=%2F&reason=idle');
        },
      );
    });

    describe('Server Actions', () => {
      it("count one of the app's own pages as activity: one at 800 s keeps the sign-in alive at 1,600 s", async () => {
        await start();
        const jar = await signedIn();
        app.clock.advance(800);
        const reply = await action(jar);
        expect(reply.status).toBe(200);
        expect(reply.text).toContain('"ran":true');
        expect((await getPing(jar)).json?.idleFor).toBe(0);
        app.clock.advance(800);
        const later = await page(jar);
        expect(later.status).toBe(200);
        expect(later.text).toContain('hello ada');
      });

      it('count as activity with Next-Url on them too (a page with an intercepted route): Next-Action wins', async () => {
        await start();
        const jar = await signedIn();
        app.clock.advance(800);
        expect((await action(jar, { 'next-url': '/' })).status).toBe(200);
        expect((await getPing(jar)).json?.idleFor).toBe(0);
      });

      it('do not count when another site made them', async () => {
        await start();
        const jar = await signedIn();
        app.clock.advance(800);
        const reply = await action(jar, {
          origin: 'https://elsewhere.example',
          'sec-fetch-site': 'cross-site',
          referer: 'https://elsewhere.example/',
        });
        // Passed on (the app's own checks of the action decide), and never recorded as activity.
        expect(reply.status).toBe(200);
        expect((await getPing(jar)).json?.idleFor).toBe(800);
        app.clock.advance(101);
        const later = await page(jar);
        expect(later.status).toBe(303);
        expect(later.headers.location).toBe('/login?next=%2F&reason=idle');
      });

      it("of a sign-in that is over go to the login page by Next's x-action-redirect: 200, no Location", async () => {
        await start();
        const jar = await signedIn();
        app.clock.advance(900);
        const reply = await action(jar, {}, '/orders/42?tab=2');
        expect(reply.status).toBe(200);
        expect(reply.headers['x-action-redirect']).toBe(
          '/login?next=%2Forders%2F42%3Ftab%3D2&reason=idle;push',
        );
        expect(reply.headers.location).toBeUndefined();
        expect(reply.text).toBe('');
        expect((await getPing(jar)).json).toEqual({ status: 'anonymous' });
      });
    });

    describe('an RSC request of a sign-in that is over', () => {
      it('is sent to the login page with the path and query it asked for, without _rsc', async () => {
        await start();
        const jar = await signedIn();
        app.clock.advance(900);
        const reply = await send(
          app.origin,
          '/orders/42?tab=2&_rsc=abc',
          { headers: RSC_FETCH },
          jar,
        );
        expect(reply.status).toBe(303);
        expect(reply.headers.location).toBe('/login?next=%2Forders%2F42%3Ftab%3D2&reason=idle');
        expect(reply.headers['cache-control']).toBe('no-store');
        expect((await getPing(jar)).json).toEqual({ status: 'anonymous' });
      });
    });

    describe('the URL the proxy tells the page (x-session-security-url)', () => {
      it.each([
        ['a page load', NAVIGATE, '/test/url?tab=2', '/test/url?tab=2'],
        ['an RSC request, without _rsc', RSC_FETCH, '/test/url?_rsc=abc&tab=2', '/test/url?tab=2'],
      ])('is its own for %s, never the one the client sent', async (_name, headers, path, told) => {
        await start();
        const jar = await signedIn();
        const reply = await send(
          app.origin,
          path,
          {
            headers: {
              ...headers,
              'x-session-security-url': '/forged?next=https://elsewhere.example',
            },
          },
          jar,
        );
        expect(reply.status).toBe(200);
        expect(reply.json).toEqual({ url: told });
      });
    });
  });
});
