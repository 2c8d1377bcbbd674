// Conformance: malformed pings over real HTTP, against every adapter and store: each gets its
// documented status and a message saying what is expected, never a 500, and leaves the session
// exactly as it was.

import { beforeAll, describe, expect, it } from 'vitest';
import { type CookieJar, SAME_ORIGIN_FETCH, send } from '../support/http.js';
import { CASES, useAdapter } from './adapters.js';
import type { ConformanceApp } from './harness.js';

const JSON_TYPE = { ...SAME_ORIGIN_FETCH, 'content-type': 'application/json' };
const EXPECTS = /sinceActivity/;

interface BadPing {
  name: string;
  body: string;
  headers?: Record<string, string>;
  method?: string;
  status: number;
  /** What the message must say. */
  says: RegExp;
}

const BAD_PINGS: BadPing[] = [
  { name: 'an empty body', body: '', status: 400, says: /empty.*sinceActivity/ },
  { name: 'white space only', body: '  \n ', status: 400, says: /empty.*sinceActivity/ },
  {
    name: 'text that is not JSON',
    body: 'sinceActivity=5',
    status: 400,
    says: /not valid JSON.*sinceActivity/,
  },
  { name: 'truncated JSON', body: '{"sinceActivity": 5', status: 400, says: /not valid JSON/ },
  {
    name: 'a JSON array',
    body: '[{"sinceActivity": 5}]',
    status: 400,
    says: /array.*not an object/,
  },
  { name: 'a JSON string', body: '"5"', status: 400, says: /string.*not an object/ },
  { name: 'a JSON number', body: '5', status: 400, says: /number.*not an object/ },
  { name: 'JSON null', body: 'null', status: 400, says: /null.*not an object/ },
  { name: 'an empty object', body: '{}', status: 400, says: /sinceActivity is missing/ },
  {
    name: 'a misspelt key',
    body: '{"sinceactivity": 5}',
    status: 400,
    says: /sinceActivity is missing/,
  },
  {
    name: 'a string "5"',
    body: '{"sinceActivity": "5"}',
    status: 400,
    says: /\("5"\) must be a finite number/,
  },
  {
    name: 'null',
    body: '{"sinceActivity": null}',
    status: 400,
    says: /\(null\) must be a finite number/,
  },
  { name: 'true', body: '{"sinceActivity": true}', status: 400, says: /must be a finite number/ },
  { name: 'NaN (not JSON)', body: '{"sinceActivity": NaN}', status: 400, says: /not valid JSON/ },
  {
    name: 'Infinity (not JSON)',
    body: '{"sinceActivity": Infinity}',
    status: 400,
    says: /not valid JSON/,
  },
  {
    name: 'a number that overflows to Infinity',
    body: '{"sinceActivity": 1e400}',
    status: 400,
    says: /\(Infinity\) must be a finite number/,
  },
  { name: '-1', body: '{"sinceActivity": -1}', status: 400, says: /\(-1\) must be .*0 or more/ },
  {
    name: 'a nested object',
    body: '{"sinceActivity": {"seconds": 5}}',
    status: 400,
    says: /must be a finite number/,
  },
  {
    name: 'an array value',
    body: '{"sinceActivity": [5]}',
    status: 400,
    says: /must be a finite number/,
  },
  {
    name: 'the key only in a nested object',
    body: '{"ping": {"sinceActivity": 5}}',
    status: 400,
    says: /sinceActivity is missing/,
  },
  {
    name: 'a duplicated key',
    body: '{"sinceActivity": 500, "sinceActivity": 0}',
    status: 400,
    says: /appears 2 times/,
  },
  {
    name: 'a key duplicated through an escape',
    body: '{"sinceActivity": 500, "\\u0073inceActivity": 0}',
    status: 400,
    says: /appears 2 times/,
  },
  {
    name: 'a body over 1 KB',
    body: `{"sinceActivity": 0, "pad": "${'x'.repeat(1100)}"}`,
    status: 413,
    says: /larger than 1024 bytes/,
  },
  {
    name: 'a wrong content type',
    body: '{"sinceActivity": 0}',
    headers: { ...SAME_ORIGIN_FETCH, 'content-type': 'text/plain' },
    status: 415,
    says: /"text\/plain" is not accepted: send application\/json/,
  },
  {
    name: 'a form content type',
    body: 'sinceActivity=0',
    headers: { ...SAME_ORIGIN_FETCH, 'content-type': 'application/x-www-form-urlencoded' },
    status: 415,
    says: /send application\/json/,
  },
  {
    name: 'no content type',
    body: '{"sinceActivity": 0}',
    headers: SAME_ORIGIN_FETCH,
    status: 415,
    says: /Content-Type is missing/,
  },
  {
    name: 'a foreign Origin',
    body: '{"sinceActivity": 0}',
    headers: { ...JSON_TYPE, origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
    status: 403,
    says: /origin "https:\/\/evil.example" are not allowed/,
  },
  {
    name: 'a lookalike Origin',
    body: '{"sinceActivity": 0}',
    headers: { ...JSON_TYPE, origin: 'http://127.0.0.1.evil.example' },
    status: 403,
    says: /not allowed/,
  },
  {
    name: 'a PUT',
    method: 'PUT',
    body: '{"sinceActivity": 0}',
    headers: JSON_TYPE,
    status: 405,
    says: /PUT is not allowed on \/ping: use GET or POST/,
  },
];

describe.each(CASES)('%s with the %s store', (_framework, storeKind, harness) => {
  const adapter = useAdapter(harness, storeKind);

  describe('malformed pings', () => {
    let app: ConformanceApp;
    let jar: CookieJar;

    beforeAll(async () => {
      app = await adapter.start();
      jar = await app.signIn();
      await send(app.origin, '/session-security/ping', { headers: SAME_ORIGIN_FETCH }, jar);
      app.clock.advance(300);
    });

    it.each(BAD_PINGS)(
      'answers $name with $status, says what is expected, and leaves the session untouched',
      async ({ body, headers, method, status, says }) => {
        const before = await send(
          app.origin,
          '/session-security/ping',
          { headers: SAME_ORIGIN_FETCH },
          jar,
        );
        const reply = await send(
          app.origin,
          '/session-security/ping',
          { method: method ?? 'POST', headers: headers ?? JSON_TYPE, body },
          jar,
        );
        expect(reply.status).toBe(status);
        expect(reply.headers['cache-control']).toBe('no-store');
        expect(reply.json?.status).toBe('error');
        expect(String(reply.json?.error)).toMatch(says);
        if (status === 400) expect(String(reply.json?.error)).toMatch(EXPECTS);
        expect(reply.headers['set-cookie'] ?? []).not.toContainEqual(
          expect.stringMatching(/expires=Thu, 01 Jan 1970/i),
        );
        expect(app.appErrors).toEqual([]);
        const after = await send(
          app.origin,
          '/session-security/ping',
          { headers: SAME_ORIGIN_FETCH },
          jar,
        );
        expect(after.json).toEqual(before.json);
        expect(after.json?.idleFor).toBe(300);
      },
    );

    it('reads a body whose bytes are not valid UTF-8 as text that is not JSON, not as a crash', async () => {
      const body = Buffer.concat([
        Buffer.from('{"sinceActivity": '),
        Buffer.from([0xff, 0xfe]),
        Buffer.from('}'),
      ]);
      const reply = await send(
        app.origin,
        '/session-security/ping',
        { method: 'POST', headers: JSON_TYPE, body },
        jar,
      );
      expect(reply.status).toBe(400);
      expect(String(reply.json?.error)).toMatch(/not valid JSON.*sinceActivity/);
    });

    it('accepts a valid ping after all of them, so none broke the session', async () => {
      const reply = await send(
        app.origin,
        '/session-security/ping',
        { method: 'POST', headers: JSON_TYPE, body: '{"sinceActivity": 12}' },
        jar,
      );
      expect(reply.status).toBe(200);
      expect(reply.json?.idleFor).toBe(12);
    });
  });
});
