// Conformance: the server's half of the browser client over real HTTP, against every adapter: the prebuilt script and stylesheet
// under the prefix (hashed, cached, revalidated), the dialog and drafts scripts that it loads, and
// the HTML helper's tags and config.

import { describe, expect, it } from 'vitest';
import { CATALOGUES } from '../../src/server/catalogues.js';
import { draftKey } from '../../src/server/drafts.js';
import { send } from '../support/http.js';
import { CASES, useAdapter } from './adapters.js';
import { type ConformanceApp, TEST_DRAFT_SECRET } from './harness.js';

/** The config object in the page's JSON data block. */
function configOf(html: string): Record<string, unknown> {
  const json =
    /<script type="application\/json" id="session-security-config"[^>]*>(.*?)<\/script>/s.exec(
      html,
    )?.[1];
  if (json === undefined) throw new Error(`no config tag in ${html}`);
  return JSON.parse(json) as Record<string, unknown>;
}

describe.each(CASES)('%s with the %s store', (_framework, storeKind, harness) => {
  const adapter = useAdapter(harness, storeKind);
  let app: ConformanceApp;

  describe('client assets', () => {
    it('serves the script and stylesheet with their content types, immutable under their hash', async () => {
      app = await adapter.start();
      const jar = await app.signIn();
      const page = (await send(app.origin, '/test/page', {}, jar)).text;
      const scriptUrl = /<script src="([^"]+)" defer>/.exec(page)?.[1] ?? '';
      const styleUrl = /<link rel="stylesheet" href="([^"]+)">/.exec(page)?.[1] ?? '';
      expect(scriptUrl).toMatch(/^\/session-security\/client\.js\?v=[\w-]{16}$/);
      expect(styleUrl).toMatch(/^\/session-security\/client\.css\?v=[\w-]{16}$/);

      const script = await send(app.origin, scriptUrl);
      expect(script.status).toBe(200);
      expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
      expect(script.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      expect(script.text).toContain('session-security-config');
      const style = await send(app.origin, styleUrl);
      expect(style.headers['content-type']).toBe('text/css; charset=utf-8');
      expect(style.text).toContain('.session-security');
    });

    it('puts the drafts of the signed-in user in the config: an opaque key, never the id, and the script URL', async () => {
      app = await adapter.start();
      const jar = await app.signIn();
      const page = (await send(app.origin, '/test/page', {}, jar)).text;
      const drafts = configOf(page).drafts as { key: string; maxAge: number; src: string };
      expect(drafts.key).toBe(draftKey(TEST_DRAFT_SECRET, 'ada'));
      expect(drafts.key).toMatch(/^[\w-]{43}$/);
      expect(page).not.toMatch(/"ada"/);
      expect(drafts.maxAge).toBe(86_400);
      expect(drafts.src).toMatch(/^\/session-security\/drafts\.js\?v=[\w-]{16}$/);
      const script = await send(app.origin, drafts.src);
      expect(script.status).toBe(200);
      expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
      expect(script.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    });

    it('puts the dialog script’s URL in the config, served like the drafts script', async () => {
      app = await adapter.start();
      const jar = await app.signIn();
      const page = (await send(app.origin, '/test/page', {}, jar)).text;
      const src = String(configOf(page).dialogSrc);
      expect(src).toMatch(/^\/session-security\/dialog\.js\?v=[\w-]{16}$/);
      // Fetched by the prebuilt script when a warning is near, never put in the page as a tag.
      expect(page).not.toContain('<script src="/session-security/dialog.js');
      const script = await send(app.origin, src);
      expect(script.status).toBe(200);
      expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
      expect(script.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      expect(script.headers['x-content-type-options']).toBe('nosniff');
      expect(script.text).toContain('"dialog"');
      const again = await send(app.origin, src, {
        headers: { 'if-none-match': String(script.headers.etag) },
      });
      expect(again.status).toBe(304);
      const other = await send(app.origin, '/session-security/dialog.js?v=old');
      expect(other.headers['cache-control']).toBe('no-cache');
    });

    it('leaves drafts out of the config with drafts: false, and keeps them for the age the app chose', async () => {
      app = await adapter.start({ security: { drafts: false } });
      let page = (await send(app.origin, '/test/page', {}, await app.signIn())).text;
      expect(configOf(page).drafts).toBeUndefined();
      app = await adapter.start({ security: { draftMaxAge: 3600 } });
      page = (await send(app.origin, '/test/page', {}, await app.signIn())).text;
      expect((configOf(page).drafts as { maxAge: number }).maxAge).toBe(3600);
    });

    it('serves them to anonymous visitors too, and revalidates a URL without the current hash', async () => {
      app = await adapter.start();
      const reply = await send(app.origin, '/session-security/client.js?v=old');
      expect(reply.status).toBe(200);
      expect(reply.headers['cache-control']).toBe('no-cache');
      const etag = String(reply.headers.etag);
      const again = await send(app.origin, '/session-security/client.js', {
        headers: { 'if-none-match': etag },
      });
      expect(again.status).toBe(304);
      expect(again.text).toBe('');
    });

    it('answers HEAD without a body and refuses POST with 405', async () => {
      app = await adapter.start();
      const head = await send(app.origin, '/session-security/client.css', { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(head.text).toBe('');
      const post = await send(app.origin, '/session-security/client.css', { method: 'POST' });
      expect(post.status).toBe(405);
      expect(post.headers.allow).toBe('GET, HEAD');
    });
  });

  describe('clientTags', () => {
    it('renders nothing for an anonymous request', async () => {
      app = await adapter.start();
      expect((await send(app.origin, '/test/page')).text).toBe('');
    });

    it('puts the server’s status and the routes into the config, English without a catalogue', async () => {
      app = await adapter.start({ security: { loginUrl: '/login' } });
      const jar = await app.signIn();
      await send(app.origin, '/session-security/ping', {}, jar);
      app.clock.advance(30);
      const config = configOf((await send(app.origin, '/test/page', {}, jar)).text);
      expect(config).toMatchObject({
        pingUrl: '/session-security/ping',
        logoutUrl: '/session-security/logout',
        loginUrl: '/login',
        expireAfter: 900,
        warnAfter: 780,
        idleFor: 0, // the page request itself was activity
        warnIn: 780,
        expireIn: 900,
        absolute: false,
        lang: 'en',
      });
      expect(config.messages).toBeUndefined();
      expect(config.session).toMatch(/^[\w-]{22}$/);
    });

    it('puts the page’s catalogue into the config, a region falling back to its language', async () => {
      app = await adapter.start();
      const jar = await app.signIn();
      const config = configOf((await send(app.origin, '/test/page?lang=de-AT', {}, jar)).text);
      expect(config.lang).toBe('de');
      expect(config.messages).toEqual(CATALOGUES.de);
    });

    it('sets the CSP nonce on the config and the script, and refuses a nonce that could break out', async () => {
      app = await adapter.start();
      const jar = await app.signIn();
      const page = (await send(app.origin, '/test/page?nonce=abc123%2B%2F%3D', {}, jar)).text;
      expect(page).toContain('id="session-security-config" nonce="abc123+/="');
      expect(page).toMatch(/<script src="[^"]+" defer nonce="abc123\+\/="><\/script>/);
      const bad = await send(app.origin, '/test/page?nonce=%22%3E%3Cscript%3E', {}, jar);
      expect(bad.status).toBe(500);
      expect(bad.text).not.toContain('<script>');
    });

    it('renders the config alone with script: false', async () => {
      app = await adapter.start();
      const jar = await app.signIn();
      const page = (await send(app.origin, '/test/page?script=false', {}, jar)).text;
      expect(page).toMatch(
        /^<script type="application\/json" id="session-security-config">\{.*\}<\/script>$/s,
      );
    });

    it('escapes "<" in the config so no text can close the script element', async () => {
      app = await adapter.start({
        security: { loginUrl: 'https://login.example/?x=</script><script>alert(1)</script>' },
      });
      const jar = await app.signIn();
      const page = (await send(app.origin, '/test/page', {}, jar)).text;
      expect(page).not.toContain('</script><script>alert');
      expect(configOf(page).loginUrl).toBe(
        'https://login.example/?x=</script><script>alert(1)</script>',
      );
    });
  });
});
