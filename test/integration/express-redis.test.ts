// Two instances of an Express app sharing one Redis (sessions through connect-redis, clocks through
// the Redis activity store), over real HTTP on 127.0.0.1 with a shared fake clock: what one
// instance records or ends, the other sees; no activity rewrites the session.

import { RedisStore } from 'connect-redis';
import express from 'express';
import session from 'express-session';
import { createClient } from 'redis';
import { sessionSecurity } from 'session-security/express';
import { redisStore } from 'session-security/redis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { formsInFlight } from '../conformance/harness.js';
import { formsInFlightCounter } from '../support/express-app.js';
import {
  CookieJar,
  FakeClock,
  listen,
  NAVIGATE,
  SAME_ORIGIN_FETCH,
  send,
  sendSlowly,
} from '../support/http.js';
import { testRedisUrl } from '../support/test-redis.js';

declare module 'express-session' {
  interface SessionData {
    user: string;
    note: string;
  }
}

const RUN = `ss-test-${process.pid}-${Date.now()}:`;
const JSON_POST = { ...SAME_ORIGIN_FETCH, 'content-type': 'application/json' };
type Client = ReturnType<typeof createClient>;

let client: Client;
const clock = new FakeClock();
/** How many times the session store wrote a session, and how many EVALSHA the activity store sent. */
const counts = { sessionWrites: 0, evalsha: 0 };
const instances: Awaited<ReturnType<typeof startInstance>>[] = [];

async function startInstance(name: string) {
  const sessions = new RedisStore({ client, prefix: `${RUN}sess:` });
  const set = sessions.set.bind(sessions);
  sessions.set = (sid, data, callback) => {
    counts.sessionWrites++;
    return set(sid, data, callback);
  };
  const app = express();
  app.use(
    session({ secret: 'shared secret', resave: false, saveUninitialized: false, store: sessions }),
  );
  const security = sessionSecurity({
    drafts: false,
    expireAfter: 900,
    warnAfter: 780,
    loginUrl: '/login',
    isAuthenticated: (req) => typeof req.session.user === 'string',
    store: redisStore({
      client,
      prefix: `${RUN}clock:`,
      now: () => clock.now(),
      logger: { warn: () => {}, error: () => {} },
    }),
    clock,
    logger: { warn: () => {}, error: () => {} },
  });
  app.use(security);
  const forms = formsInFlightCounter();
  app.use(forms.count);
  app.post('/test/sign-in', (req, res, next) => {
    req.session.regenerate(async (error: unknown) => {
      if (error) return next(error);
      req.session.user = 'ada';
      if (req.query.start !== 'no') await security.start(req);
      res.json({ instance: name });
    });
  });
  app.post('/test/sign-out', async (req, res) => {
    await security.signOut(req);
    res.json({ instance: name });
  });
  // Keeps the posted note in the session: the session is saved back at the end of the request.
  app.post('/form', express.urlencoded({ extended: false }), (req, res) => {
    req.session.note = String((req.body as Record<string, unknown>).note);
    res.json({ instance: name });
  });
  app.get('/page', (req, res) => {
    res.type('html').send(`${security.clientTags(req)}<p>${req.session.user ?? 'anonymous'}</p>`);
  });
  app.get('/api/data', (req, res) => {
    res.json({ user: req.session.user ?? null, instance: name });
  });
  const server = await listen(app);
  return { ...server, name, formsInFlight: forms.inFlight };
}

beforeAll(async () => {
  client = createClient({ url: testRedisUrl() });
  await client.connect();
  const evalSha = client.evalSha.bind(client);
  Object.defineProperty(client, 'evalSha', {
    value: (...args: Parameters<typeof evalSha>) => {
      counts.evalsha++;
      return evalSha(...args);
    },
  });
  instances.push(await startInstance('a'), await startInstance('b'));
});

afterAll(async () => {
  for (const instance of instances) await instance.close();
  for await (const keys of client.scanIterator({ MATCH: `${RUN}*`, COUNT: 100 })) {
    if (keys.length > 0) await client.del(keys);
  }
  await client.close();
});

beforeEach(() => {
  counts.sessionWrites = 0;
  counts.evalsha = 0;
});

function instance(index: number) {
  const found = instances[index];
  if (!found) throw new Error(`instance ${index} is not running`);
  return found;
}
const a = () => instance(0);
const b = () => instance(1);
const getPing = (instance: { origin: string }, jar: CookieJar) =>
  send(instance.origin, '/session-security/ping', { headers: SAME_ORIGIN_FETCH }, jar);

/** A form post to `instance` whose body is held until `finish()`: a request in flight. */
function slowFormPost(instance: { origin: string }, jar: CookieJar) {
  return sendSlowly(
    instance.origin,
    '/form',
    {
      method: 'POST',
      headers: { ...NAVIGATE, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'note=in+flight',
    },
    jar.clone(),
  );
}

async function signIn(instance: { origin: string }, query = ''): Promise<CookieJar> {
  const jar = new CookieJar();
  const reply = await send(instance.origin, `/test/sign-in${query}`, { method: 'POST' }, jar);
  expect(reply.status).toBe(200);
  return jar;
}

describe('two instances sharing one Redis', () => {
  it('agree on one sign-in: same marker, same idle time', async () => {
    const jar = await signIn(a());
    clock.advance(30);
    const fromA = await getPing(a(), jar);
    const fromB = await getPing(b(), jar);
    expect(fromA.json?.status).toBe('active');
    expect(fromB.json).toEqual(fromA.json);
    expect(fromB.json?.idleFor).toBe(30);
  });

  it('see on one instance the input reported through the other', async () => {
    const jar = await signIn(a());
    clock.advance(300);
    const body = JSON.stringify({ sinceActivity: 0 });
    expect(
      (
        await send(
          a().origin,
          '/session-security/ping',
          { method: 'POST', headers: JSON_POST, body },
          jar,
        )
      ).json?.idleFor,
    ).toBe(0);
    clock.advance(5);
    expect((await getPing(b(), jar)).json?.idleFor).toBe(5);
  });

  it('see an expiry found on one instance as an expiry on the other', async () => {
    const jar = await signIn(a());
    clock.advance(2);
    // A request in flight on b keeps a copy of the session, which it saves back at its end.
    const slow = slowFormPost(b(), jar);
    await formsInFlight(b());
    clock.advance(900);
    expect((await getPing(a(), jar.clone())).json).toEqual({ status: 'expired', reason: 'idle' });
    slow.finish();
    expect((await slow.reply).status).toBe(200);
    expect((await getPing(b(), jar)).json).toEqual({ status: 'expired', reason: 'idle' });
  });

  it('take a sign-out on one instance as a sign-out on the other', async () => {
    const jar = await signIn(a());
    const oldCookie = jar.clone();
    expect((await send(a().origin, '/test/sign-out', { method: 'POST' }, jar)).status).toBe(200);
    expect((await getPing(b(), oldCookie)).json).toEqual({ status: 'anonymous' });
  });

  it('keep a sign-out final with a request in flight on the other instance', async () => {
    const jar = await signIn(a());
    clock.advance(2);
    const oldCookie = jar.clone();
    const slow = slowFormPost(b(), jar);
    await formsInFlight(b());
    expect((await send(a().origin, '/test/sign-out', { method: 'POST' }, jar)).status).toBe(200);
    slow.finish();
    expect((await slow.reply).status).toBe(200);
    for (const instance of [a(), b()]) {
      const reply = await getPing(instance, oldCookie.clone());
      expect(reply.status).toBe(401);
    }
    const page = await send(b().origin, '/api/data', { headers: SAME_ORIGIN_FETCH }, oldCookie);
    expect(page.json?.user ?? null).toBeNull();
  });
});

describe('a missing record means expired', () => {
  it('signs out a sign-in whose app did not call start(req)', async () => {
    const jar = await signIn(a(), '?start=no');
    expect((await getPing(b(), jar)).json).toEqual({ status: 'expired', reason: 'idle' });
  });

  it('does not bring back a record that vanished before its deadline (lost), for a replayed old cookie', async () => {
    const jar = await signIn(a());
    const marker = (await getPing(a(), jar)).json?.session;
    expect(await client.del(`${RUN}clock:${marker}`)).toBe(1); // as eviction or FLUSHALL would
    expect((await getPing(b(), jar.clone())).json).toEqual({ status: 'expired', reason: 'lost' });
    expect((await getPing(a(), jar)).status).toBe(401);
  });
});

describe('one round trip, no session rewrites', () => {
  it('records activity without rewriting the session, one EVALSHA per request', async () => {
    const jar = await signIn(a());
    counts.sessionWrites = 0;
    counts.evalsha = 0;
    for (let i = 0; i < 10; i++) {
      clock.advance(2); // past the 1 s write granularity: every request records activity
      const reply = await send(
        i % 2 ? a().origin : b().origin,
        '/api/data',
        { headers: SAME_ORIGIN_FETCH },
        jar,
      );
      expect(reply.json?.user).toBe('ada');
    }
    expect(counts.evalsha).toBe(10);
    expect(counts.sessionWrites).toBe(0);
    expect((await getPing(b(), jar)).json?.idleFor).toBe(0);
  });

  it("renders a page's client tags from the request's own step: one EVALSHA in all", async () => {
    const jar = await signIn(a());
    clock.advance(40);
    counts.evalsha = 0;
    const page = await send(b().origin, '/page', { headers: NAVIGATE }, jar);
    expect(page.text).toContain('"idleFor":0');
    expect(counts.evalsha).toBe(1);
  });
});
