// A user's sign-ins across two instances of an Express app sharing one Redis (sessions through
// connect-redis, clocks through the Redis activity store), over real HTTP on 127.0.0.1 with a
// fake clock: listing and ending sign-ins, per-user timeouts kept in the Redis hash, the sweep
// run by both instances at once, the indexes pruned, and Redis going away.

import { createHash } from 'node:crypto';
import { RedisStore } from 'connect-redis';
import express from 'express';
import session from 'express-session';
import { createClient } from 'redis';
import type { SessionSecurityEvent } from 'session-security';
import { sessionSecurity } from 'session-security/express';
import { redisStore } from 'session-security/redis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CookieJar, FakeClock, listen, SAME_ORIGIN_FETCH, send } from '../support/http.js';
import { type PrivateRedis, startRedisServer } from '../support/redis-server.js';
import { sleep } from '../support/sleep.js';
import { testRedisUrl } from '../support/test-redis.js';

declare module 'express-session' {
  interface SessionData {
    user: string;
  }
}

const RUN = `ss-sign-ins-${process.pid}-${Date.now()}:`;
type Client = ReturnType<typeof createClient>;

const FIREFOX_LINUX = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0';
const CHROME_WINDOWS =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

let client: Client;
let testNumber = 0;
/** What each test started, closed after it. */
const toClose: (() => Promise<void>)[] = [];

beforeAll(async () => {
  client = createClient({ url: testRedisUrl() });
  await client.connect();
});

afterEach(async () => {
  for (const close of toClose.splice(0).reverse()) await close();
});

afterAll(async () => {
  for await (const keys of client.scanIterator({ MATCH: `${RUN}*`, COUNT: 100 })) {
    if (keys.length > 0) await client.del(keys);
  }
  await client.close();
});

interface InstanceOptions {
  clock: FakeClock;
  /** The start of this test's keys (its own, so no test sees another's sign-ins). */
  prefix: string;
  /** The client of the activity store (the sessions always use the shared one). */
  clockClient?: Client;
  commandTimeout?: number;
}

/**
 * One instance: express-session on Redis, session-security with the Redis activity store, bob's
 * sign-ins 300 s of idle time and everyone else's 900 s, and every event kept.
 */
async function startInstance(name: string, options: InstanceOptions) {
  const events: SessionSecurityEvent[] = [];
  const errors: string[] = [];
  const logger = { warn: () => {}, error: (message: string) => errors.push(message) };
  const app = express();
  app.use(
    session({
      secret: 'shared secret',
      resave: false,
      saveUninitialized: false,
      store: new RedisStore({ client, prefix: `${options.prefix}sess:` }),
    }),
  );
  const security = sessionSecurity({
    drafts: false,
    expireAfter: (req) => (req.session.user === 'bob' ? 300 : 900),
    loginUrl: '/login',
    isAuthenticated: (req) => typeof req.session.user === 'string',
    userId: (req) => req.session.user ?? '',
    onEvent: (event) => {
      events.push(event);
    },
    sweepInterval: 0,
    store: redisStore({
      client: options.clockClient ?? client,
      prefix: `${options.prefix}clock:`,
      now: () => options.clock.now(),
      logger,
      ...(options.commandTimeout !== undefined && { commandTimeout: options.commandTimeout }),
    }),
    clock: options.clock,
    logger,
  });
  const failure = (res: express.Response, error: unknown) => {
    const status = (error as { status?: unknown }).status;
    res.status(typeof status === 'number' ? status : 500).json({ error: String(error) });
  };
  // An admin page mounted before session-security: it reaches the store without a touch first.
  app.get('/admin/sign-ins', async (req, res) => {
    try {
      res.json(await security.signIns.list(req));
    } catch (error) {
      failure(res, error);
    }
  });
  app.use(security);
  app.post('/test/sign-in', (req, res, next) => {
    req.session.regenerate(async (error: unknown) => {
      if (error) return next(error);
      req.session.user = String(req.query.user);
      try {
        await security.start(req);
        res.json({ instance: name });
      } catch (startError) {
        failure(res, startError);
      }
    });
  });
  app.post('/test/sign-out', async (req, res) => {
    await security.signOut(req);
    res.json({ instance: name });
  });
  app.get('/test/sign-ins', async (req, res) => {
    try {
      res.json(await security.signIns.list(req));
    } catch (error) {
      failure(res, error);
    }
  });
  app.post('/test/end', async (req, res) => {
    res.json({ ended: await security.signIns.end(req, String(req.query.signIn)) });
  });
  app.post('/test/end-others', async (req, res) => {
    try {
      res.json({ ended: await security.signIns.endAll(req, { keepCurrent: true }) });
    } catch (error) {
      failure(res, error);
    }
  });
  app.get('/api/data', (req, res) => {
    res.json({ user: req.session.user ?? null, instance: name });
  });
  const server = await listen(app);
  toClose.push(server.close);
  return { ...server, name, events, errors, security };
}

type Instance = Awaited<ReturnType<typeof startInstance>>;

/** Two instances sharing this test's keys and one fake clock. */
async function startPair(options: Partial<InstanceOptions> = {}) {
  const clock = options.clock ?? new FakeClock();
  const prefix = `${RUN}${++testNumber}:`;
  const a = await startInstance('a', { ...options, clock, prefix });
  const b = await startInstance('b', { ...options, clock, prefix });
  const events = () => [...a.events, ...b.events];
  return { a, b, clock, prefix, events };
}

async function signIn(
  instance: Instance,
  user: string,
  userAgent = FIREFOX_LINUX,
): Promise<CookieJar> {
  const jar = new CookieJar();
  const reply = await send(
    instance.origin,
    `/test/sign-in?user=${user}`,
    { method: 'POST', headers: { 'user-agent': userAgent } },
    jar,
  );
  expect(reply.status).toBe(200);
  return jar;
}

const ping = (instance: Instance, jar: CookieJar) =>
  send(instance.origin, '/session-security/ping', { headers: SAME_ORIGIN_FETCH }, jar.clone());

/** The sign-in's marker: the `session` of its ping. */
async function markerOf(instance: Instance, jar: CookieJar): Promise<string> {
  const reply = await ping(instance, jar);
  expect(reply.json?.status).toBe('active');
  return String(reply.json?.session);
}

async function list(instance: Instance, jar: CookieJar) {
  const reply = await send(
    instance.origin,
    '/test/sign-ins',
    { headers: SAME_ORIGIN_FETCH },
    jar.clone(),
  );
  expect(reply.status).toBe(200);
  return JSON.parse(reply.text) as {
    signIn: string;
    device: string;
    current: boolean;
    startedAt: number;
    lastActiveAt: number;
  }[];
}

/** The key of a user's index of sign-ins (the user id hashed, as the store names it). */
const userIndexKey = (prefix: string, user: string) =>
  `${prefix}clock:index:user:${createHash('sha256').update(user).digest('base64url')}`;
const ofType = <T extends SessionSecurityEvent['type']>(events: SessionSecurityEvent[], type: T) =>
  events.filter((e): e is Extract<SessionSecurityEvent, { type: T }> => e.type === type);

describe("a user's sign-ins, listed from either instance", () => {
  it('lists both of ada’s sign-ins with their device and the current one marked, and not bob’s', async () => {
    const { a, b, clock } = await startPair();
    const onA = await signIn(a, 'ada', FIREFOX_LINUX);
    clock.advance(10);
    const onB = await signIn(b, 'ada', CHROME_WINDOWS);
    clock.advance(5);
    const bobs = await signIn(a, 'bob');
    const [markerA, markerB, markerBob] = [
      await markerOf(b, onA),
      await markerOf(a, onB),
      await markerOf(a, bobs),
    ];
    const t0 = clock.now() - 15_000;

    // Listing is a request of the sign-in: it counts as its activity, so it comes first.
    const fromA = await list(a, onA);
    expect(fromA).toEqual([
      {
        signIn: markerA,
        startedAt: t0,
        lastActiveAt: t0 + 15_000,
        device: 'Firefox 133 on Linux',
        current: true,
      },
      {
        signIn: markerB,
        startedAt: t0 + 10_000,
        lastActiveAt: t0 + 10_000,
        device: 'Chrome 131 on Windows',
        current: false,
      },
    ]);
    clock.advance(5);
    const fromB = await list(b, onB);
    expect(fromB).toEqual([
      {
        signIn: markerB,
        startedAt: t0 + 10_000,
        lastActiveAt: t0 + 20_000,
        device: 'Chrome 131 on Windows',
        current: true,
      },
      { ...fromA[0], current: false },
    ]);
    expect(fromB.map((s) => s.signIn)).not.toContain(markerBob);
    expect((await list(b, bobs)).map((s) => s.signIn)).toEqual([markerBob]);
  });
});

describe('per-user timeouts, kept in the Redis hash', () => {
  it("keeps bob's 300 s in his sign-in's hash and answers it on both instances", async () => {
    const { a, b, prefix } = await startPair();
    const bobs = await signIn(a, 'bob');
    const marker = await markerOf(a, bobs);
    expect(await client.hGetAll(`${prefix}clock:${marker}`)).toMatchObject({
      expireAfter: '300000',
      warnAfter: '225000',
      absoluteTimeout: '0',
      user: 'bob',
      agent: 'Firefox 133 on Linux',
    });
    for (const instance of [a, b]) {
      expect((await ping(instance, bobs)).json).toMatchObject({
        status: 'active',
        expireAfter: 300,
        warnAfter: 225,
        expireIn: 300,
      });
    }
    expect(ofType(a.events, 'signed-in')).toEqual([
      expect.objectContaining({ signIn: marker, userId: 'bob', expireAfter: 300, warnAfter: 225 }),
    ]);
  });

  it('expires bob at 300 s on the other instance while ada lives on to 600 s and beyond', async () => {
    const { a, b, clock } = await startPair();
    const bobs = await signIn(a, 'bob');
    const adas = await signIn(a, 'ada');
    clock.advance(299);
    expect((await ping(b, bobs)).json).toMatchObject({ status: 'active', expireIn: 1 });
    clock.advance(1);
    const expired = await ping(b, bobs);
    expect(expired.status).toBe(401);
    expect(expired.json).toEqual({ status: 'expired', reason: 'idle' });
    expect((await ping(b, adas)).json).toMatchObject({ status: 'active', expireAfter: 900 });
    clock.advance(300);
    expect((await ping(b, adas)).json).toMatchObject({
      status: 'active',
      idleFor: 600,
      expireIn: 300,
    });
  });

  // Fails today: the touch script's "found" reply carries 7 fields after 'found' (no agent), and
  // stateFromFields wants 8, so a request that finds an expiry reports none (and the record is
  // marked ended, so the sweep never reports it either).
  it('reports the expiry a request finds on the other instance as one expired event', async () => {
    const { a, b, clock, events } = await startPair();
    const bobs = await signIn(a, 'bob');
    const bobMarker = await markerOf(a, bobs);
    const startedAt = clock.now();
    clock.advance(301);
    expect((await ping(b, bobs)).json).toEqual({ status: 'expired', reason: 'idle' });
    expect(await a.security.signIns.sweep()).toBe(0);
    expect(ofType(events(), 'expired')).toEqual([
      {
        type: 'expired',
        at: clock.now(),
        signIn: bobMarker,
        userId: 'bob',
        reason: 'idle',
        idleSeconds: 300,
        lengthSeconds: 300,
        endedAt: startedAt + 300_000,
        foundBy: 'request',
      },
    ]);
    expect(ofType(b.events, 'expired')).toHaveLength(1);
  });

  // The static timeout here is 900 s (expireAfter is a function; the default applies). A damaged
  // own field must end the sign-in by then at the latest, on every request, as a damaged clock does.
  // '1e15' fails today: the scripts refuse a non-number, NaN, infinite or negative own timeout,
  // but not one past a year (the most an option can give), so a damaged 1e15 ms keeps it alive.
  it.each([
    ['expireAfter', 'abc'],
    ['expireAfter', '-5'],
    ['expireAfter', 'nan'],
    ['expireAfter', 'inf'],
    ['expireAfter', '1e15'],
    ['absoluteTimeout', 'abc'],
  ])(
    'never lets a damaged own %s (%s) keep a sign-in past the static 900 s',
    async (field, value) => {
      const { a, b, clock, prefix } = await startPair();
      const adas = await signIn(a, 'ada');
      const marker = await markerOf(a, adas);
      await client.hSet(`${prefix}clock:${marker}`, field, value);
      clock.advance(900);
      const passive = await ping(b, adas);
      expect({ status: passive.status, body: passive.json }).toEqual({
        status: 401,
        body: { status: 'expired', reason: 'idle' },
      });
      // Whatever the ping did, the next request of that cookie does not reach ada's pages.
      const page = await send(a.origin, '/api/data', { headers: SAME_ORIGIN_FETCH }, adas.clone());
      expect(page.json?.user ?? null).toBeNull();
    },
  );

  it('does not let a damaged record stop the sweep for every other sign-in', async () => {
    const { a, clock, prefix, events } = await startPair();
    const damaged = await signIn(a, 'ada');
    const abandoned = await signIn(a, 'ada');
    const damagedMarker = await markerOf(a, damaged);
    const abandonedMarker = await markerOf(a, abandoned);
    await client.hSet(`${prefix}clock:${damagedMarker}`, 'expireAfter', 'abc');
    clock.advance(900);
    await expect(a.security.signIns.sweep()).resolves.toBeGreaterThanOrEqual(1);
    expect(ofType(events(), 'expired').map((e) => e.signIn)).toContain(abandonedMarker);
  });
});

describe('ending sign-ins from elsewhere', () => {
  it("ends ada's sign-in on B from her request on A: B is told revoked, A lives, one event", async () => {
    const { a, b, events } = await startPair();
    const onA = await signIn(a, 'ada');
    const onB = await signIn(b, 'ada', CHROME_WINDOWS);
    const markerB = await markerOf(b, onB);
    const ended = await send(
      a.origin,
      `/test/end?signIn=${encodeURIComponent(markerB)}`,
      { method: 'POST', headers: SAME_ORIGIN_FETCH },
      onA,
    );
    expect(ended.json).toEqual({ ended: true });
    const fromB = await ping(b, onB);
    expect(fromB.status).toBe(401);
    expect(fromB.text).toBe('{"status":"expired","reason":"revoked"}');
    expect((await ping(a, onA)).json?.status).toBe('active');
    expect((await ping(b, onA)).json?.status).toBe('active');
    expect(ofType(a.events, 'signed-out')).toEqual([
      expect.objectContaining({ signIn: markerB, userId: 'ada', how: 'revoked' }),
    ]);
    expect(ofType(events(), 'signed-out')).toHaveLength(1);
    expect((await list(a, onA)).map((s) => s.signIn)).not.toContain(markerB);
  });

  it("does not end another user's sign-in from ada's request", async () => {
    const { a, b } = await startPair();
    const adas = await signIn(a, 'ada');
    const bobs = await signIn(b, 'bob');
    const bobMarker = await markerOf(b, bobs);
    const ended = await send(
      a.origin,
      `/test/end?signIn=${encodeURIComponent(bobMarker)}`,
      { method: 'POST', headers: SAME_ORIGIN_FETCH },
      adas,
    );
    expect(ended.json).toEqual({ ended: false });
    expect((await ping(a, bobs)).json?.status).toBe('active');
    expect(ofType(a.events, 'signed-out')).toEqual([]);
  });

  it('ends every sign-in from one instance, whichever instance started it', async () => {
    const { a, b, events } = await startPair();
    const jars = [
      await signIn(a, 'ada'),
      await signIn(b, 'ada'),
      await signIn(a, 'bob'),
      await signIn(b, 'carol'),
    ];
    const markers = await Promise.all(jars.map((jar) => markerOf(a, jar)));
    expect(await a.security.signIns.endEveryone()).toBe(4);
    // The first request of each ended sign-in is told so (and its session goes).
    for (const [index, jar] of jars.entries()) {
      const reply = await ping(index % 2 ? a : b, jar);
      expect(reply.status).toBe(401);
      expect(reply.json).toEqual({ status: 'expired', reason: 'revoked' });
    }
    const revoked = ofType(events(), 'signed-out');
    expect(revoked.map((e) => e.signIn).sort()).toEqual([...markers].sort());
    expect(revoked.every((e) => e.how === 'revoked')).toBe(true);
    expect(ofType(a.events, 'signed-out')).toHaveLength(4);
    expect(await b.security.signIns.endEveryone()).toBe(0);
  });
});

describe('"sign out everywhere else" when Redis evicted the index of sign-ins', () => {
  it('answers 503 and ends nothing rather than report success while other sign-ins live', async () => {
    const { a, b, prefix } = await startPair();
    const here = await signIn(a, 'ada');
    const elsewhere = await signIn(b, 'ada', CHROME_WINDOWS);
    const endOthers = () =>
      send(a.origin, '/test/end-others', { method: 'POST', headers: SAME_ORIGIN_FETCH }, here);
    // As allkeys-lru may: the index has no TTL and is evicted like any other key.
    expect(await client.del(userIndexKey(prefix, 'ada'))).toBe(1);
    const reply = await endOthers();
    expect(reply.status).toBe(503);
    expect(reply.json?.error).toMatch(/could not end the other sign-ins/);
    expect(ofType(a.events, 'store-failed')).toEqual([
      expect.objectContaining({ operation: 'end', error: 'SessionStoreUnavailableError' }),
    ]);
    expect(a.errors.join('\n')).toMatch(/the store failed/);
    // Nothing was ended behind a "done": the user sees the failure, both sign-ins still live.
    expect((await ping(b, elsewhere)).json?.status).toBe('active');
    expect((await ping(a, here)).json?.status).toBe('active');
  });

  it('ends the others when the index lists the sign-in asking (the usual case)', async () => {
    const { a, b } = await startPair();
    const here = await signIn(a, 'ada');
    const elsewhere = await signIn(b, 'ada', CHROME_WINDOWS);
    const reply = await send(
      a.origin,
      '/test/end-others',
      { method: 'POST', headers: SAME_ORIGIN_FETCH },
      here,
    );
    expect(reply.json).toEqual({ ended: 1 });
    expect((await ping(b, elsewhere)).json).toEqual({ status: 'expired', reason: 'revoked' });
    expect((await ping(a, here)).json?.status).toBe('active');
  });
});

describe('the sweep, run by both instances', () => {
  it('reports a sign-in nobody came back to once, whether the instances sweep one after the other or at once', async () => {
    const { a, b, clock, prefix, events } = await startPair();
    const first = await signIn(a, 'ada');
    const firstMarker = await markerOf(a, first);
    const startedAt = clock.now();
    clock.advance(600);
    const live = await signIn(b, 'ada');
    const liveMarker = await markerOf(b, live);
    clock.advance(300);
    expect(await dueMarkers(prefix)).toEqual([firstMarker, liveMarker].sort());
    expect(await client.exists(`${prefix}clock:index:all`)).toBe(0);

    expect(await a.security.signIns.sweep()).toBe(1);
    expect(await b.security.signIns.sweep()).toBe(0);
    expect(ofType(events(), 'expired')).toEqual([
      {
        type: 'expired',
        at: clock.now(),
        signIn: firstMarker,
        userId: 'ada',
        reason: 'idle',
        idleSeconds: 900,
        lengthSeconds: 900,
        endedAt: startedAt + 900_000,
        foundBy: 'sweep',
      },
    ]);
    expect(await dueMarkers(prefix)).toEqual([liveMarker]);

    // At once: the second sign-in, now abandoned too, and a third one of bob's.
    const bobs = await signIn(a, 'bob');
    const bobMarker = await markerOf(a, bobs);
    clock.advance(900);
    const counts = await Promise.all([a.security.signIns.sweep(), b.security.signIns.sweep()]);
    expect(counts[0] + counts[1]).toBe(2);
    const expired = ofType(events(), 'expired');
    expect(expired.map((e) => e.signIn).sort()).toEqual(
      [firstMarker, liveMarker, bobMarker].sort(),
    );
    expect(expired.find((e) => e.signIn === bobMarker)).toMatchObject({
      idleSeconds: 300,
      foundBy: 'sweep',
    });
    expect(await dueMarkers(prefix)).toEqual([]);

    // The old cookie is told it expired; nobody reports the expiry a second time.
    const reply = await ping(b, first);
    expect(reply.status).toBe(401);
    expect(reply.json).toEqual({ status: 'expired', reason: 'idle' });
    expect(ofType(events(), 'expired')).toHaveLength(3);
  });
});

/** Every marker the due lists of a test's prefix hold (src/stores/redis.ts: due buckets), sorted. */
async function dueMarkers(prefix: string): Promise<string[]> {
  const found: string[] = [];
  for await (const keys of client.scanIterator({ MATCH: `${prefix}clock:due:*`, COUNT: 100 })) {
    for (const key of keys) {
      if (!key.endsWith(':buckets')) found.push(...(await client.sMembers(key)));
    }
  }
  return found.sort();
}

describe("a user's index does not keep growing", () => {
  it('takes signed-out sign-ins out of the indexes at once, and prunes records gone behind its back when listing and sweeping', async () => {
    const { a, b, clock, prefix } = await startPair();
    const live = await signIn(a, 'ada');
    const liveMarker = await markerOf(a, live);
    for (let i = 0; i < 20; i++) {
      const instance = i % 2 ? a : b;
      const jar = await signIn(instance, 'ada');
      const out = await send(instance.origin, '/test/sign-out', { method: 'POST' }, jar);
      expect(out.status).toBe(200);
    }
    const userIndex = userIndexKey(prefix, 'ada');
    expect(await client.sMembers(userIndex)).toEqual([liveMarker]);
    // The due lists keep an ended sign-in until the sweep reaches its due time (below).
    expect(await dueMarkers(prefix)).toHaveLength(21);
    // A record that went away without an end (deleted, or timed out unswept) stays indexed
    // until a list or a sweep reads it.
    const lost = await signIn(b, 'ada');
    const lostMarker = await markerOf(b, lost);
    await client.del(`${prefix}clock:${lostMarker}`);
    expect(await client.sCard(userIndex)).toBe(2);
    expect((await list(b, live)).map((s) => s.signIn)).toEqual([liveMarker]);
    expect(await client.sMembers(userIndex)).toEqual([liveMarker]);
    expect(await dueMarkers(prefix)).toHaveLength(22);
    expect(await b.security.signIns.sweep()).toBe(0);
    expect(await dueMarkers(prefix)).toHaveLength(22);
    // Past every due time: the live one is found expired, the ended and the lost are dropped.
    clock.advance(900 + 61);
    expect(await b.security.signIns.sweep()).toBe(1);
    expect(await dueMarkers(prefix)).toEqual([]);
    expect(await client.exists(`${prefix}clock:index:all`)).toBe(0);
  });
});

describe('Redis away', () => {
  let redis: PrivateRedis | undefined;

  /** A redis-server of this test's own, and a client of it for the activity store. */
  async function privateRedis(): Promise<Client> {
    redis = await startRedisServer();
    const own: Client = createClient({
      url: redis.url,
      socket: { reconnectStrategy: false },
    });
    own.on('error', () => {}); // the outage is expected; the store reports it
    await own.connect();
    toClose.push(async () => {
      if (own.isOpen) own.destroy();
    });
    return own;
  }

  afterEach(async () => {
    const running = redis;
    redis = undefined;
    await running?.kill('SIGKILL');
    await running?.close();
  });

  async function expectOutage(pair: Awaited<ReturnType<typeof startPair>>, jar: CookieJar) {
    const { a, b } = pair;
    const failures = () => [a, b].map((app) => ofType(app.events, 'store-failed'));
    const before = failures().map((list) => list.length);
    const listed = await send(b.origin, '/admin/sign-ins', { headers: SAME_ORIGIN_FETCH }, jar);
    expect(listed.status).toBe(500);
    expect(listed.json).not.toBeInstanceOf(Array);
    const reply = await ping(a, jar);
    expect(reply.status).toBe(503);
    const page = await send(b.origin, '/api/data', { headers: SAME_ORIGIN_FETCH }, jar.clone());
    expect(page.status).toBe(503);
    expect(page.json?.user).toBeUndefined();
    // The ping on A; the list and the page on B.
    const [onA, onB] = failures().map((list, i) => list.slice(before[i]));
    expect(onA?.map((event) => event.operation)).toEqual(['touch']);
    expect(onB?.map((event) => event.operation)).toEqual(['list', 'touch']);
    const failed = [...(onA ?? []), ...(onB ?? [])];
    expect(JSON.stringify(failed)).not.toContain(String(jar.header()));
    await expect(a.security.signIns.sweep()).rejects.toThrow();
    expect(ofType(a.events, 'store-failed').at(-1)).toMatchObject({ operation: 'sweep' });
    await expect(a.security.signIns.endEveryone()).rejects.toThrow();
  }

  it('when Redis stops answering: list rejects, requests get 503, store-failed is emitted', async () => {
    const clockClient = await privateRedis();
    const pair = await startPair({ clockClient, commandTimeout: 200 });
    const jar = await signIn(pair.a, 'ada');
    expect(await list(pair.b, jar)).toHaveLength(1);
    await redis?.kill('SIGSTOP');
    try {
      await expectOutage(pair, jar);
    } finally {
      await redis?.kill('SIGCONT');
    }
    expect((await ping(pair.b, jar)).json?.status).toBe('active');
  });

  it('when the client is not connected: the same, at once', async () => {
    const clockClient = await privateRedis();
    const pair = await startPair({ clockClient, commandTimeout: 200 });
    const jar = await signIn(pair.a, 'ada');
    await redis?.kill('SIGKILL');
    for (let i = 0; i < 100 && clockClient.isReady; i++) {
      await sleep(20);
    }
    expect(clockClient.isReady).toBe(false);
    await expectOutage(pair, jar);
    // The typed error: 503 through the app's error handling, never a 500.
    const failedSignIn = await send(pair.a.origin, '/test/sign-in?user=bob', { method: 'POST' });
    expect(failedSignIn.status).toBe(503);
    expect(ofType(pair.a.events, 'store-failed').at(-1)).toMatchObject({ operation: 'start' });
  });
});
