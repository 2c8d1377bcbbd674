// Conformance: hostile ping bodies over real HTTP, against every adapter and store. Edge numbers
// in `sinceActivity` (huge, tiny, -0, past 2^53) are valid pings: 200, and input from long ago
// moves nothing back. Generated bodies (fast-check) never get a 5xx, never revive an ended
// sign-in, never move one's activity unless valid, and never look like a store failure (no
// `store-failed` event, nothing logged as an error): a user must not be able to fake an outage.

import fc from 'fast-check';
import type { SessionSecurityEvent } from 'session-security';
import { beforeAll, describe, expect, it } from 'vitest';
import { parsePingBody } from '../../src/core/protocol.js';
import { type CookieJar, type Reply, SAME_ORIGIN_FETCH, send } from '../support/http.js';
import { CASES, useAdapter } from './adapters.js';
import type { ConformanceApp } from './harness.js';

const PING = '/session-security/ping';
const JSON_POST = { ...SAME_ORIGIN_FETCH, 'content-type': 'application/json' };
/** How long each sign-in of the edge cases has been idle when its ping arrives (seconds). */
const IDLE = 300;
/** Generated bodies per adapter and store: 8 × this in all, a few seconds together. */
const NUM_RUNS = 50;

interface EdgeNumber {
  /** `sinceActivity` as the body writes it. */
  text: string;
  /** The sign-in's idle time after the ping: unchanged for input from longer ago than that. */
  idleFor: number;
}

const EDGE_NUMBERS: EdgeNumber[] = [
  // Seconds past what a double holds as milliseconds (× 1000 is Infinity).
  { text: '1e306', idleFor: IDLE },
  { text: '1.7976931348623157e308', idleFor: IDLE }, // Number.MAX_VALUE
  { text: String(Number.MAX_VALUE), idleFor: IDLE }, // the same, as JSON.stringify writes it
  { text: '1e305', idleFor: IDLE }, // × 1000 is finite but far past any clock
  { text: '9007199254740993', idleFor: IDLE }, // past 2^53: read as 9007199254740992
  { text: '31536000', idleFor: IDLE }, // a year, the longest timeout a sign-in may keep
  { text: '31536001', idleFor: IDLE },
  // Input just now.
  { text: '5e-324', idleFor: 0 }, // the smallest double
  { text: '-0', idleFor: 0 },
  { text: '0.0000001', idleFor: 0 },
  { text: `${IDLE - 1.5}`, idleFor: IDLE - 1.5 },
];

/** Each edge number as a ping, and the huge ones with `"extend": true` too. */
const EDGE_PINGS = [
  ...EDGE_NUMBERS.map(({ text, idleFor }) => ({
    name: text,
    body: `{"sinceActivity": ${text}}`,
    idleFor,
  })),
  ...EDGE_NUMBERS.filter(({ idleFor }) => idleFor === IDLE).map(({ text, idleFor }) => ({
    name: `${text}, "extend": true`,
    body: `{"sinceActivity": ${text}, "extend": true}`,
    idleFor,
  })),
];

/** `sinceActivity` values as JSON text: edge numbers, huge and tiny doubles, long integers, not numbers. */
const numberTextArb = fc.oneof(
  {
    arbitrary: fc.constantFrom(
      ...EDGE_NUMBERS.map(({ text }) => text),
      '1e400',
      '-1e400',
      '1e-400',
      '-5e-324',
      '-1',
      '0',
      '1E306',
      '0e999999',
      '123456789012345678901234567890',
    ),
    weight: 3,
  },
  // From 1e300 to Number.MAX_VALUE: a third of these overflow when made milliseconds.
  { arbitrary: fc.double({ min: 1e300, max: Number.MAX_VALUE }).map(String), weight: 2 },
  { arbitrary: fc.double({ min: 0, max: 1e-300 }).map(String), weight: 1 },
  { arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }).map(String), weight: 1 },
  { arbitrary: fc.double().map((n) => JSON.stringify(n)), weight: 1 }, // NaN, ±Infinity: null
  { arbitrary: fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }).map(String), weight: 1 },
  // Not JSON.
  {
    arbitrary: fc.constantFrom('NaN', 'Infinity', '0x10', '.5', '1.', '01', '+1', '1_000'),
    weight: 1,
  },
);

/** Any JSON value as text, a number written as a string, or a literal. */
const valueTextArb = fc.oneof(
  numberTextArb,
  numberTextArb.map((text) => JSON.stringify(text)),
  fc.jsonValue({ maxDepth: 2 }).map((value) => JSON.stringify(value)),
  fc.constantFrom('true', 'false', 'null', '[]', '{}', '"true"', '1', '0', 'undefined'),
);

/** Member names: the two the protocol knows, look-alikes, escapes, and any string. */
const keyTextArb = fc.oneof(
  fc.constantFrom(
    '"sinceActivity"',
    '"sinceActivity"',
    '"extend"',
    '"\\u0073inceActivity"',
    '"sinceactivity"',
    '"sinceActivity "',
    '"sinceActivity\\u0000"',
    '"\\u0065xtend"',
    '"__proto__"',
    '"constructor"',
  ),
  fc.string({ unit: 'binary', maxLength: 12 }).map((key) => JSON.stringify(key)),
);

/** A well-formed ping with an odd `extend`, or none. */
const pingArb = fc
  .tuple(numberTextArb, fc.option(valueTextArb, { nil: undefined }))
  .map(([since, extend]) =>
    extend === undefined
      ? `{"sinceActivity": ${since}}`
      : `{"sinceActivity": ${since}, "extend": ${extend}}`,
  );

/** An object of up to 4 members, keys repeated or not. */
const objectArb = fc
  .array(fc.tuple(keyTextArb, valueTextArb), { maxLength: 4 })
  .map((members) => `{${members.map(([key, value]) => `${key}: ${value}`).join(', ')}}`);

/** Deep nesting within 1 KB: arrays, objects, or a ping wrapped in objects. */
const nestedArb = fc
  .tuple(fc.integer({ min: 1, max: 200 }), fc.constantFrom('array', 'object', 'ping', 'value'))
  .map(([depth, kind]) => {
    if (kind === 'array') return `${'['.repeat(depth * 2)}${']'.repeat(depth * 2)}`;
    if (kind === 'object') return `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
    if (kind === 'ping') return `${'{"a":'.repeat(depth)}{"sinceActivity":1}${'}'.repeat(depth)}`;
    return `{"sinceActivity": 1, "x": ${'['.repeat(depth * 2)}${']'.repeat(depth * 2)}}`;
  });

/** Any characters, lone surrogates included (sent as UTF-8, a lone one as U+FFFD). */
const unicodeArb = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc.string({
    unit: fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)),
    maxLength: 60,
  }),
  fc
    .string({ unit: 'binary', maxLength: 20 })
    .map((text) => `{"sinceActivity": 1, "note": ${JSON.stringify(text)}}`),
);

const bodyArb: fc.Arbitrary<string | Buffer> = fc.oneof(
  { arbitrary: pingArb, weight: 4 },
  { arbitrary: objectArb, weight: 3 },
  { arbitrary: nestedArb, weight: 1 },
  { arbitrary: unicodeArb, weight: 1 },
  { arbitrary: fc.json({ maxDepth: 3 }), weight: 1 },
  { arbitrary: fc.uint8Array({ maxLength: 100 }).map((bytes) => Buffer.from(bytes)), weight: 1 },
);

function describeReply(reply: Reply): string {
  return `${reply.status} ${reply.text.slice(0, 200)}`;
}

describe.each(CASES)('%s with the %s store', (_framework, storeKind, harness) => {
  const adapter = useAdapter(harness, storeKind);
  let app: ConformanceApp;
  const events: SessionSecurityEvent[] = [];

  beforeAll(async () => {
    app = await adapter.start({
      security: {
        sweepInterval: 0,
        onEvent: (event: SessionSecurityEvent) => {
          events.push(event);
        },
      },
    });
  });

  const getPing = (jar: CookieJar) => send(app.origin, PING, { headers: SAME_ORIGIN_FETCH }, jar);
  const postPing = (jar: CookieJar, body: string | Buffer) =>
    send(app.origin, PING, { method: 'POST', headers: JSON_POST, body }, jar);

  /** Forgets what earlier requests reported, so that each check sees its own request's. */
  const clearRecords = () => {
    events.length = 0;
    app.logger.errors.length = 0;
    app.appErrors.length = 0;
  };

  /** Nothing looked like an outage or reached the framework's error handling. */
  const expectNoFailure = () => {
    expect(events.filter((event) => event.type === 'store-failed')).toEqual([]);
    expect(app.logger.errors).toEqual([]);
    expect(app.appErrors).toEqual([]);
  };

  describe('edge numbers in sinceActivity', () => {
    it.each(EDGE_PINGS)(
      'answers sinceActivity $name with 200 active, idle for $idleFor s, and no failure',
      async ({ body, idleFor }) => {
        const jar = await app.signIn();
        expect((await getPing(jar)).status).toBe(200);
        app.clock.advance(IDLE);
        clearRecords();
        const reply = await postPing(jar, body);
        expect(reply.status, describeReply(reply)).toBe(200);
        expect(reply.json?.status).toBe('active');
        expect(reply.json?.idleFor).toBeCloseTo(idleFor, 3);
        const after = await getPing(jar);
        expect(after.json?.status).toBe('active');
        expect(after.json?.idleFor).toBeCloseTo(idleFor, 3);
        expectNoFailure();
      },
    );
  });

  describe('generated bodies', () => {
    it('never answer 5xx, move a sign-in only when valid, never revive an ended one, fake no outage', async () => {
      // An ended sign-in (expired while another starts), and a live one to ping.
      const ended = await app.signIn();
      expect((await getPing(ended)).status).toBe(200);
      app.clock.advance(901);
      const live = await app.signIn();
      let idle = Number((await getPing(live)).json?.idleFor);
      expect(idle).toBe(0);

      await fc.assert(
        fc.asyncProperty(bodyArb, fc.integer({ min: 0, max: 4 }), async (body, pick) => {
          clearRecords();
          if (pick === 0) {
            const reply = await postPing(ended, body);
            expect(reply.status, describeReply(reply)).toBeLessThan(500);
            // 413 comes before the session is read; anything else is the ended sign-in's 401.
            if (reply.status !== 413) {
              expect(reply.status, describeReply(reply)).toBe(401);
              expect(['expired', 'anonymous']).toContain(reply.json?.status);
            }
            expectNoFailure();
            return;
          }
          // Kept well inside the 900 s idle limit, shrinking's extra runs included.
          if (idle > 600) {
            await postPing(live, '{"sinceActivity": 0}');
            idle = 0;
          }
          app.clock.advance(5);
          const before = idle + 5;
          const reply = await postPing(live, body);
          const after = await getPing(live);
          expect(after.json?.status, describeReply(after)).toBe('active');
          const idleAfter = Number(after.json?.idleFor);
          // Kept before any check, so that shrinking's runs start from the sign-in as it is.
          idle = idleAfter;
          const ping = parsePingBody(Buffer.from(body).toString('utf8'));
          if (ping.ok) {
            expect(reply.status, describeReply(reply)).toBe(200);
            // Activity moves forward only; input from longer ago than the idle time changes nothing.
            // (Idle times are compared to the microsecond: seconds made of milliseconds round.)
            expect(idleAfter).toBeLessThanOrEqual(before + 1e-6);
            if (ping.sinceActivitySeconds >= before) expect(idleAfter).toBeCloseTo(before, 6);
            else expect(idleAfter).toBeGreaterThanOrEqual(ping.sinceActivitySeconds - 1e-6);
          } else {
            expect(reply.status, describeReply(reply)).toBeGreaterThanOrEqual(400);
            expect(reply.status, describeReply(reply)).toBeLessThan(500);
            expect(idleAfter).toBeCloseTo(before, 6);
            expect(events.filter((event) => event.type === 'extended')).toEqual([]);
          }
          expectNoFailure();
        }),
        // The findings of the past first, on the live sign-in: each would have faked an outage.
        {
          numRuns: NUM_RUNS,
          examples: EDGE_PINGS.map(({ body }): [string, number] => [body, 1]),
        },
      );
    });
  });
});
