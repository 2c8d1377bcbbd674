// The Redis activity store (src/stores/redis.ts) against real Redis, through both clients: the
// run's Redis (test/support/test-redis.ts) under this run's own key prefix (its keys deleted afterwards),
// and a private redis-server for what would disturb others (SCRIPT FLUSH, MONITOR, stopping it).

import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { type RedisClient, type RedisStoreOptions, redisStore } from 'session-security/redis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { SessionSecurityConfigError } from '../../src/core/errors.js';
import { decide, type SecurityState, type Timeouts } from '../../src/core/policy.js';
import type { SessionAccess, Touch } from '../../src/core/store.js';
import type { EndReason } from '../../src/core/tombstones.js';
import { freePort } from '../support/http.js';
import { type PrivateRedis, startRedisServer } from '../support/redis-server.js';
import { testRedisPort } from '../support/test-redis.js';

const SHARED_PORT = testRedisPort();
const PREFIX = `session-security-test:${randomUUID()}:`;
const T0 = 1_700_000_000_000;
const GRACE_MS = 3_600_000;
const TIMEOUTS: Timeouts = { expireAfterMs: 10_000, warnAfterMs: 8_000, absoluteTimeoutMs: 0 };
const withAbsolute = (expireAfterMs: number, absoluteTimeoutMs: number): Timeouts => ({
  expireAfterMs,
  warnAfterMs: expireAfterMs / 2,
  absoluteTimeoutMs,
});
const quietLogger = { warn: () => {}, error: () => {} };

/** A session as an adapter hands it to the store, counting writes. */
function fakeSession(initial?: unknown) {
  let value = initial;
  let writes = 0;
  const session: SessionAccess = {
    exists: () => true,
    id: () => 'framework-session-id',
    read: () => value,
    write(next) {
      value = next;
      writes++;
    },
    clear() {
      value = undefined;
    },
    async end() {
      value = undefined;
    },
  };
  return { session, value: () => value, writes: () => writes };
}

const markerOf = (session: SessionAccess) => (session.read() as { id: string }).id;

/** Connects and closes one kind of client; `stub` has the client's shape and fails any command. */
interface ClientKind {
  name: string;
  connect(port: number): Promise<RedisClient>;
  close(client: RedisClient): Promise<void>;
  stub(): { client: RedisClient; calls: () => number };
  /** Clients that exist but cannot send: not yet connected, reconnecting, closed. */
  notReady(closedPort: number): Promise<{ label: string; client: RedisClient }[]>;
}

const ioredis: ClientKind = {
  name: 'ioredis',
  async connect(port) {
    const client = new Redis({ host: '127.0.0.1', port });
    client.on('error', () => {});
    await new Promise((resolve) => client.once('ready', resolve));
    return client;
  },
  async close(client) {
    (client as Redis).disconnect();
  },
  stub() {
    const evalsha = vi.fn(async () => []);
    const evalScript = vi.fn(async () => []);
    return {
      client: { status: 'ready', evalsha, eval: evalScript },
      calls: () => evalsha.mock.calls.length + evalScript.mock.calls.length,
    };
  },
  async notReady(closedPort) {
    const lazy = new Redis({ host: '127.0.0.1', port: SHARED_PORT, lazyConnect: true });
    const unreachable = new Redis({ host: '127.0.0.1', port: closedPort, retryStrategy: () => 50 });
    unreachable.on('error', () => {});
    const closed = (await this.connect(SHARED_PORT)) as Redis;
    const ended = new Promise((resolve) => closed.once('end', resolve));
    closed.disconnect();
    await ended;
    return [
      { label: 'not yet connected (lazyConnect)', client: lazy },
      { label: 'reconnecting to a closed port', client: unreachable },
      { label: 'disconnected', client: closed },
    ];
  },
};

const nodeRedis: ClientKind = {
  name: 'node-redis',
  async connect(port) {
    const client = createClient({ socket: { host: '127.0.0.1', port } });
    client.on('error', () => {});
    await client.connect();
    return client;
  },
  async close(client) {
    const nodeClient = client as ReturnType<typeof createClient>;
    if (nodeClient.isOpen) nodeClient.destroy();
  },
  stub() {
    const evalSha = vi.fn(async () => []);
    const evalScript = vi.fn(async () => []);
    return {
      client: { isReady: true, evalSha, eval: evalScript },
      calls: () => evalSha.mock.calls.length + evalScript.mock.calls.length,
    };
  },
  async notReady(closedPort) {
    const unconnected = createClient({ socket: { host: '127.0.0.1', port: SHARED_PORT } });
    const unreachable = createClient({
      socket: { host: '127.0.0.1', port: closedPort, reconnectStrategy: () => 50 },
    });
    unreachable.on('error', () => {});
    unreachable.connect().catch(() => {});
    const closed = await this.connect(SHARED_PORT);
    (closed as ReturnType<typeof createClient>).destroy();
    return [
      { label: 'not yet connected', client: unconnected },
      { label: 'reconnecting to a closed port', client: unreachable },
      { label: 'destroyed', client: closed },
    ];
  },
};

/** This file's own redis-server, to flush, monitor and stop without disturbing anyone. */
const privateServer = {
  port: 0,
  server: undefined as PrivateRedis | undefined,
  admin: undefined as unknown as Redis,
  /** The running redis-server, to freeze with SIGSTOP. */
  get process() {
    return this.server?.process;
  },
  async start() {
    this.server = await startRedisServer();
    this.port = this.server.port;
    this.admin = new Redis({ host: '127.0.0.1', port: this.port, retryStrategy: () => 20 });
    this.admin.on('error', () => {});
    await new Promise((resolve) => this.admin.once('ready', resolve));
  },
  async stop() {
    this.admin?.disconnect();
    await this.server?.kill('SIGCONT');
    await this.server?.close();
  },
  /** The commands clients sent (not those run inside scripts) while `work` ran, lower-cased. */
  async commandsDuring(work: () => Promise<unknown>): Promise<string[]> {
    const monitor = await this.admin.monitor();
    const sentinel = `sentinel-${randomUUID()}`;
    const commands: string[] = [];
    const seenSentinel = new Promise<void>((resolve) =>
      monitor.on('monitor', (_time: string, args: string[], source: string) => {
        if (args[0]?.toLowerCase() === 'echo' && args[1] === sentinel) resolve();
        else if (source !== 'lua') commands.push(String(args[0]).toLowerCase());
      }),
    );
    await work();
    await this.admin.echo(sentinel);
    await seenSentinel;
    monitor.disconnect();
    return commands;
  },
};

let admin: Redis;
const openClients: { kind: ClientKind; client: RedisClient }[] = [];
async function connectClient(kind: ClientKind, port = SHARED_PORT) {
  const client = await kind.connect(port);
  openClients.push({ kind, client });
  return client;
}

beforeAll(async () => {
  admin = new Redis({ host: '127.0.0.1', port: SHARED_PORT });
  await privateServer.start();
});

afterAll(async () => {
  for (const { kind, client } of openClients) await kind.close(client);
  let cursor = '0';
  do {
    const [next, keys] = await admin.scan(cursor, 'MATCH', `${PREFIX}*`, 'COUNT', 1000);
    if (keys.length > 0) await admin.del(...keys);
    cursor = next;
  } while (cursor !== '0');
  admin.disconnect();
  await privateServer.stop();
});

describe('redisStore, before any other store runs', () => {
  it('warns once per process that the app must call security.start(req) at sign-in', async () => {
    const warn = vi.fn();
    const logger = { warn, error: () => {} };
    const first = redisStore({ client: ioredis.stub().client, logger });
    const second = redisStore({ client: nodeRedis.stub().client, logger });
    for (const store of [first, second, first]) {
      await expect(store.touch(fakeSession().session, 0, TIMEOUTS)).resolves.toEqual({
        kind: 'ended',
        reason: 'idle',
      });
    }
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]?.[0]).toContain('security.start(req)');
  });

  it('refuses a wrong option, naming it', () => {
    const { client } = ioredis.stub();
    const optionOf = (options: unknown) => {
      try {
        redisStore(options as RedisStoreOptions);
      } catch (error) {
        expect(error).toBeInstanceOf(SessionSecurityConfigError);
        return (error as SessionSecurityConfigError).option;
      }
      return undefined;
    };
    expect(optionOf({ client: {} })).toBe('client');
    expect(optionOf({ client: { get: () => {} } })).toBe('client');
    expect(optionOf({})).toBe('client');
    expect(optionOf({ client, prefix: '' })).toBe('prefix');
    expect(optionOf({ client, prefix: 'my app:' })).toBe('prefix');
    expect(optionOf({ client, commandTimeout: 0 })).toBe('commandTimeout');
    expect(optionOf({ client, graceSeconds: Number.NaN })).toBe('graceSeconds');
    expect(optionOf({ client, now: 5 })).toBe('now');
    expect(optionOf({ client, logger: {} })).toBe('logger');
    expect(optionOf({ client, keyPrefix: 'x:' })).toBe('keyPrefix');
    expect(optionOf({ client, prefix: 'ok:', commandTimeout: 50, graceSeconds: 0.5 })).toBe(
      undefined,
    );
  });
});

describe.each([ioredis, nodeRedis])('redisStore with $name', (kind) => {
  let client: RedisClient;
  let otherClient: RedisClient;
  let clockMs = T0;
  const now = () => clockMs;
  const makeStore = (options: Partial<RedisStoreOptions> = {}, on = client) =>
    redisStore({ client: on, prefix: PREFIX, now, logger: quietLogger, ...options });
  const keyOf = (session: SessionAccess) => `${PREFIX}${markerOf(session)}`;
  const active = (lastActivity: number, startedAt: number, id: string, nowMs: number): Touch => ({
    kind: 'active',
    state: { lastActivity, startedAt, id },
    nowMs,
  });

  beforeAll(async () => {
    client = await connectClient(kind);
    otherClient = await connectClient(kind);
  });

  /** A sign-in started at T0 on the test clock. */
  async function signedIn(timeouts = TIMEOUTS, options: Partial<RedisStoreOptions> = {}) {
    clockMs = T0;
    const store = makeStore(options);
    const fake = fakeSession();
    await store.start(fake.session, timeouts);
    return { store, ...fake, id: markerOf(fake.session), key: keyOf(fake.session) };
  }

  it('starts a sign-in with both times now, a TTL, and only its marker and deadline in the session', async () => {
    clockMs = T0;
    const store = makeStore();
    const { session, value, writes } = fakeSession();
    const started = await store.start(session, TIMEOUTS);
    const id = markerOf(session);
    expect(value()).toEqual({ id, until: T0 + TIMEOUTS.expireAfterMs });
    expect(writes()).toBe(1);
    expect(started).toEqual(active(T0, T0, id, T0));
    expect(await admin.hgetall(keyOf(session))).toEqual({
      lastActivity: String(T0),
      startedAt: String(T0),
    });
    const ttl = await admin.pttl(keyOf(session));
    expect(ttl).toBeGreaterThan(TIMEOUTS.expireAfterMs + GRACE_MS - 1000);
    expect(ttl).toBeLessThanOrEqual(TIMEOUTS.expireAfterMs + GRACE_MS);
  });

  it('records activity as a maximum, at most once a second, without rewriting the session', async () => {
    const { store, session, writes, id, key } = await signedIn();
    clockMs = T0 + 999;
    expect(await store.touch(session, 0, TIMEOUTS)).toEqual(active(T0, T0, id, T0 + 999));
    clockMs = T0 + 1000;
    expect(await store.touch(session, 0, TIMEOUTS)).toEqual(active(T0 + 1000, T0, id, T0 + 1000));
    // A ping: the browser saw input 2.5 s ago.
    clockMs = T0 + 5000;
    expect(await store.touch(session, 2500, TIMEOUTS)).toEqual(
      active(T0 + 2500, T0, id, T0 + 5000),
    );
    // Older input never moves it back; input less than a second newer is not written.
    expect(await store.touch(session, 4500, TIMEOUTS)).toEqual(
      active(T0 + 2500, T0, id, T0 + 5000),
    );
    expect(await store.touch(session, 1500.5, TIMEOUTS)).toEqual(
      active(T0 + 2500, T0, id, T0 + 5000),
    );
    // Fractions of a millisecond survive the round trip exactly.
    clockMs = T0 + 6000;
    expect(await store.touch(session, 1500.25, TIMEOUTS)).toEqual(
      active(T0 + 4499.75, T0, id, T0 + 6000),
    );
    expect(await admin.hget(key, 'lastActivity')).toBe(String(T0 + 4499.75));
    const ttl = await admin.pttl(key);
    const expected = T0 + 4499.75 + TIMEOUTS.expireAfterMs - clockMs + GRACE_MS;
    expect(ttl).toBeGreaterThan(expected - 1000);
    expect(ttl).toBeLessThanOrEqual(Math.ceil(expected));
    expect(writes()).toBe(1);
  });

  it('records nothing for a passive request', async () => {
    const { store, session, id, key } = await signedIn();
    const before = await admin.hgetall(key);
    const ttlBefore = await admin.pttl(key);
    clockMs = T0 + 5000;
    expect(await store.touch(session, undefined, TIMEOUTS)).toEqual(active(T0, T0, id, T0 + 5000));
    expect(await admin.hgetall(key)).toEqual(before);
    expect(await admin.pttl(key)).toBeLessThanOrEqual(ttlBefore);
  });

  it('expires a sign-in idle for expireAfter, records why, and keeps saying so', async () => {
    const { store, session, id, key } = await signedIn();
    clockMs = T0 + 9999;
    expect(await store.touch(session, undefined, TIMEOUTS)).toEqual(active(T0, T0, id, T0 + 9999));
    clockMs = T0 + 10_000;
    expect(await store.touch(session, 0, TIMEOUTS)).toEqual({
      kind: 'ended',
      reason: 'idle',
      found: { lastActivity: T0, startedAt: T0, id: markerOf(session) },
    });
    expect(await admin.hgetall(key)).toEqual({
      lastActivity: String(T0),
      startedAt: String(T0),
      ended: 'idle',
    });
    const ttl = await admin.pttl(key);
    expect(ttl).toBeGreaterThan(GRACE_MS - 1000);
    expect(ttl).toBeLessThanOrEqual(GRACE_MS);
    clockMs = T0 + 10_001;
    expect(await store.touch(session, 0, TIMEOUTS)).toEqual({ kind: 'ended', reason: 'idle' });
    expect(await makeStore({}, otherClient).touch(session, 0, TIMEOUTS)).toEqual({
      kind: 'ended',
      reason: 'idle',
    });
  });

  it('expires a sign-in at its absolute timeout, whatever the activity', async () => {
    const timeouts = withAbsolute(10_000, 5_000);
    const { store, session, id, key } = await signedIn(timeouts);
    for (let t = 1000; t < 5000; t += 1000) {
      clockMs = T0 + t;
      expect(await store.touch(session, 0, timeouts)).toEqual(active(T0 + t, T0, id, T0 + t));
    }
    clockMs = T0 + 5000;
    expect(await store.touch(session, 0, timeouts)).toMatchObject({
      kind: 'ended',
      reason: 'absolute',
      found: { startedAt: T0 },
    });
    expect(await admin.hget(key, 'ended')).toBe('absolute');
    clockMs = T0 + 50_000;
    // Found before: no `found` this time (one expired event per sign-in).
    expect(await store.touch(session, 0, timeouts)).toEqual({ kind: 'ended', reason: 'absolute' });
  });

  it.each([
    { first: 'idle', timeouts: withAbsolute(10_000, 15_000), activityAt: 4000 },
    { first: 'absolute', timeouts: withAbsolute(10_000, 12_000), activityAt: 5000 },
    { first: 'idle', timeouts: withAbsolute(10_000, 10_000), activityAt: undefined },
  ])('when both deadlines have passed, gives the one reached first ($first)', async (example) => {
    const { store, session, id } = await signedIn(example.timeouts);
    if (example.activityAt !== undefined) {
      clockMs = T0 + example.activityAt;
      await store.touch(session, 0, example.timeouts);
    }
    clockMs = T0 + 30_000;
    const expected = decide(
      { lastActivity: T0 + (example.activityAt ?? 0), startedAt: T0, id },
      clockMs,
      clockMs,
      example.timeouts,
      randomUUID,
    );
    expect(expected).toEqual({ outcome: 'expired', reason: example.first });
    expect(await store.touch(session, 0, example.timeouts)).toMatchObject({
      kind: 'ended',
      reason: example.first,
    });
  });

  it('forgets an ended sign-in after graceSeconds, and a touch then says idle: missing past the hint means expired', async () => {
    const graceSeconds = 0.3;
    const timeouts = withAbsolute(10_000, 5_000);
    const { store, session, key } = await signedIn(timeouts, { graceSeconds });
    const ttl = await admin.pttl(key);
    expect(ttl).toBeGreaterThan(5000 + 300 - 200);
    expect(ttl).toBeLessThanOrEqual(5000 + 300);
    clockMs = T0 + 5000;
    expect(await store.touch(session, 0, timeouts)).toMatchObject({
      kind: 'ended',
      reason: 'absolute',
      found: { startedAt: T0 },
    });
    expect(await admin.pttl(key)).toBeLessThanOrEqual(300);
    await vi.waitFor(async () => expect(await admin.exists(key)).toBe(0), {
      timeout: 2000,
      interval: 50,
    });
    // As Redis's clock, which dropped the record: graceSeconds past the deadline.
    clockMs = T0 + 5000 + 300;
    expect(await store.touch(session, 0, timeouts)).toEqual({ kind: 'ended', reason: 'idle' });
    expect(await admin.exists(key)).toBe(0);
  });

  it('a sign-out on one instance ends the sign-in on every instance, for good', async () => {
    const { store, session, key } = await signedIn();
    const elsewhere = makeStore({}, otherClient);
    clockMs = T0 + 2000;
    await elsewhere.end(session, 'logout', TIMEOUTS);
    expect(await admin.hgetall(key)).toEqual({
      lastActivity: String(T0),
      startedAt: String(T0),
      ended: 'logout',
    });
    expect(await admin.pttl(key)).toBeLessThanOrEqual(GRACE_MS);
    expect(await store.touch(session, 0, TIMEOUTS)).toEqual({ kind: 'ended', reason: 'logout' });
    // Past the idle deadline, and after a second end, it still ended by signing out.
    clockMs = T0 + 60_000;
    await store.end(session, 'idle', TIMEOUTS);
    expect(await store.touch(session, 0, TIMEOUTS)).toEqual({ kind: 'ended', reason: 'logout' });
    expect(await elsewhere.touch(session, 0, TIMEOUTS)).toEqual({
      kind: 'ended',
      reason: 'logout',
    });
  });

  it('end leaves a missing record missing', async () => {
    const { session } = fakeSession({ id: `never-started-${randomUUID()}` });
    await makeStore().end(session, 'logout', TIMEOUTS);
    expect(await admin.exists(keyOf(session))).toBe(0);
  });

  it.each([undefined, null, 'a-string', {}, { id: '' }, { id: 42 }])(
    'ends a session without a marker (%j) without a round trip',
    async (value) => {
      const stub = kind.stub();
      const store = redisStore({ client: stub.client, prefix: PREFIX, logger: quietLogger });
      const { session, writes } = fakeSession(value);
      expect(await store.touch(session, 0, TIMEOUTS)).toEqual({ kind: 'ended', reason: 'idle' });
      await store.end(session, 'logout', TIMEOUTS);
      expect(store.peek(session, TIMEOUTS)).toBeUndefined();
      expect(stub.calls()).toBe(0);
      expect(writes()).toBe(0);
    },
  );

  it('ends a replayed old cookie (a marker without a record) and never brings it back', async () => {
    clockMs = T0;
    const store = makeStore();
    for (const value of [
      { id: `replayed-${randomUUID()}` },
      { lastActivity: T0, startedAt: T0, id: `session-object-state-${randomUUID()}` },
    ]) {
      const { session, writes } = fakeSession(value);
      expect(await store.touch(session, 0, TIMEOUTS)).toEqual({ kind: 'ended', reason: 'idle' });
      expect(await store.touch(session, undefined, TIMEOUTS)).toEqual({
        kind: 'ended',
        reason: 'idle',
      });
      expect(await admin.exists(keyOf(session))).toBe(0);
      expect(writes()).toBe(0);
    }
  });

  it('ends a sign-in whose record is damaged, and logs an error', async () => {
    const error = vi.fn();
    const store = makeStore({ logger: { warn: () => {}, error } });
    const { session } = fakeSession({ id: `damaged-${randomUUID()}` });
    await admin.hset(keyOf(session), { lastActivity: 'yesterday', startedAt: String(T0) });
    expect(await store.touch(session, 0, TIMEOUTS)).toEqual({ kind: 'ended', reason: 'idle' });
    expect(error).toHaveBeenCalledTimes(1);
    expect(await admin.hget(keyOf(session), 'ended')).toBe('idle');
    expect(await admin.pttl(keyOf(session))).toBeLessThanOrEqual(GRACE_MS);
  });

  it('reads stored times exactly, whole or not, and ends one it cannot read as a finite time', async () => {
    const error = vi.fn();
    const store = makeStore({ logger: { warn: () => {}, error } });
    const cases: Array<[string, string, ReturnType<typeof active> | { kind: 'ended' }]> = [
      // A fraction of a millisecond, as a ping's offset can leave: sent back as text, exactly.
      [String(T0 - 0.25), String(T0 - 1000.125), active(T0 - 0.25, T0 - 1000.125, '', T0)],
      // Far in the future (1e300 is whole, but no integer reply holds it): read as now.
      ['1e300', String(T0), active(T0, T0, '', T0)],
      // Too far in the past: idle for ages.
      ['-1e300', String(T0), { kind: 'ended' }],
      ['inf', String(T0), { kind: 'ended' }],
      ['nan', String(T0), { kind: 'ended' }],
    ];
    for (const [lastActivity, startedAt, expected] of cases) {
      const { session } = fakeSession({ id: `stored-${randomUUID()}` });
      await admin.hset(keyOf(session), { lastActivity, startedAt });
      const touch = await store.touch(session, undefined, TIMEOUTS);
      if (expected.kind === 'ended') {
        expect(touch, lastActivity).toMatchObject({ kind: 'ended', reason: 'idle' });
      } else {
        expect(touch, lastActivity).toEqual({
          ...expected,
          state: { ...expected.state, id: markerOf(session) },
        });
      }
    }
    // 'inf' and 'nan' are damaged records; -1e300 is a plain idle expiry.
    expect(error).toHaveBeenCalledTimes(2);
  });

  it('reads a time in the future as now, and stores it back', async () => {
    clockMs = T0 + 60_000;
    const store = makeStore();
    const { session } = fakeSession();
    await store.start(session, TIMEOUTS);
    const id = markerOf(session);
    // The clock was set back a minute.
    clockMs = T0;
    const expected = decide(
      { lastActivity: T0 + 60_000, startedAt: T0 + 60_000, id },
      T0,
      undefined,
      TIMEOUTS,
      randomUUID,
    );
    expect(expected).toEqual({
      outcome: 'continue',
      state: { lastActivity: T0, startedAt: T0, id },
      write: true,
    });
    expect(await store.touch(session, undefined, TIMEOUTS)).toEqual(active(T0, T0, id, T0));
    expect(await admin.hgetall(keyOf(session))).toEqual({
      lastActivity: String(T0),
      startedAt: String(T0),
    });
    const ttl = await admin.pttl(keyOf(session));
    expect(ttl).toBeGreaterThan(TIMEOUTS.expireAfterMs + GRACE_MS - 1000);
    expect(ttl).toBeLessThanOrEqual(TIMEOUTS.expireAfterMs + GRACE_MS);
  });

  it("without now, uses Redis's clock, so instances with skewed clocks agree", async () => {
    const here = redisStore({ client, prefix: PREFIX, logger: quietLogger });
    const there = redisStore({ client: otherClient, prefix: PREFIX, logger: quietLogger });
    const redisMs = async () => {
      const [seconds, micros] = await admin.time();
      return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    };
    const { session } = fakeSession();
    const before = await redisMs();
    const started = await here.start(session, TIMEOUTS);
    // The other instance's clock is an hour ahead: it is never read.
    const realNow = Date.now;
    const skewed = vi.spyOn(Date, 'now').mockImplementation(() => realNow() + 3_600_000);
    let touched: Touch;
    try {
      touched = await there.touch(session, 0, TIMEOUTS);
    } finally {
      skewed.mockRestore();
    }
    const after = await redisMs();
    expect(started.nowMs).toBeGreaterThanOrEqual(before);
    expect(touched.kind).toBe('active');
    if (touched.kind !== 'active') return;
    expect(touched.nowMs).toBeGreaterThanOrEqual(started.nowMs);
    expect(touched.nowMs).toBeLessThanOrEqual(after);
    expect(touched.state.startedAt).toBe(started.nowMs);
    expect(await here.touch(session, undefined, TIMEOUTS)).toMatchObject({
      kind: 'active',
      state: touched.state,
    });
  });

  it('rejects at once, well under commandTimeout, when the client is not ready', async () => {
    const { session } = fakeSession({ id: `not-ready-${randomUUID()}` });
    const clients = await kind.notReady(await freePort());
    try {
      for (const { label, client: notReady } of clients) {
        const store = redisStore({ client: notReady, prefix: PREFIX, commandTimeout: 1000 });
        for (const operation of [
          () => store.touch(session, 0, TIMEOUTS),
          () => store.start(fakeSession().session, TIMEOUTS),
          () => store.end(session, 'logout', TIMEOUTS),
        ]) {
          const startedAt = performance.now();
          await expect(operation(), label).rejects.toThrow(/not ready/);
          expect(performance.now() - startedAt, label).toBeLessThan(100);
        }
      }
    } finally {
      for (const { client: notReady } of clients) await kind.close(notReady);
    }
  });

  describe('on a private redis-server', () => {
    let privateClient: RedisClient;
    const privateStore = (options: Partial<RedisStoreOptions> = {}) =>
      makeStore({ prefix: 'private:', ...options }, privateClient);

    beforeAll(async () => {
      privateClient = await connectClient(kind, privateServer.port);
    });

    it('sends exactly one EVALSHA per touch and end, two per start (the record, and its due list), in steady state', async () => {
      clockMs = T0;
      const store = privateStore();
      const { session } = fakeSession();
      await store.start(session, TIMEOUTS); // loads the scripts it needs
      await store.touch(session, 0, TIMEOUTS);
      await store.end(fakeSession({ id: 'warm-up' }).session, 'logout', TIMEOUTS);
      const commands = await privateServer.commandsDuring(async () => {
        const another = fakeSession();
        await store.start(another.session, TIMEOUTS);
        for (const offset of [0, undefined, 1500, 0, undefined]) {
          clockMs += 1000;
          await store.touch(session, offset, TIMEOUTS);
        }
        await store.end(another.session, 'logout', TIMEOUTS);
      });
      expect(commands).toEqual(Array(8).fill('evalsha'));
    });

    it('after SCRIPT FLUSH, runs the script once by its text (EVAL), then is back to one EVALSHA', async () => {
      clockMs = T0;
      const store = privateStore();
      const { session } = fakeSession();
      const started = await store.start(session, TIMEOUTS);
      await privateServer.admin.script('FLUSH');
      const results: Touch[] = [];
      const commands = await privateServer.commandsDuring(async () => {
        clockMs = T0 + 1000;
        results.push(await store.touch(session, 0, TIMEOUTS));
        clockMs = T0 + 2000;
        results.push(await store.touch(session, 0, TIMEOUTS));
      });
      expect(commands).toEqual(['evalsha', 'eval', 'evalsha']);
      expect(results).toEqual([
        active(T0 + 1000, T0, started.state.id, T0 + 1000),
        active(T0 + 2000, T0, started.state.id, T0 + 2000),
      ]);
    });

    it('fails within commandTimeout when Redis does not answer, and works again once it does', async () => {
      clockMs = T0;
      const commandTimeout = 500;
      const store = privateStore({ commandTimeout });
      const { session } = fakeSession();
      await store.start(session, TIMEOUTS);
      const id = markerOf(session);
      const stored = await privateServer.admin.hgetall(`private:${id}`);
      clockMs = T0 + 3000;
      privateServer.process?.kill('SIGSTOP');
      try {
        const startedAt = performance.now();
        await expect(store.touch(session, undefined, TIMEOUTS)).rejects.toThrow(
          /did not answer the touch script within 500 ms/,
        );
        const elapsed = performance.now() - startedAt;
        expect(elapsed).toBeGreaterThanOrEqual(commandTimeout - 20);
        expect(elapsed).toBeLessThan(commandTimeout + 500);
      } finally {
        privateServer.process?.kill('SIGCONT');
      }
      expect(await store.touch(session, undefined, TIMEOUTS)).toEqual(
        active(T0, T0, id, T0 + 3000),
      );
      expect(await privateServer.admin.hgetall(`private:${id}`)).toEqual(stored);
    });
  });

  it('answers every step exactly as decide() does, leases held or not (property)', async () => {
    const store = makeStore();
    // `held` sets the record's heldUntil (as the hold and release scripts write it), relative to now.
    type Step =
      | { kind: 'advance'; ms: number }
      | { kind: 'touch'; offsetMs: number | undefined }
      | { kind: 'held'; ms: number };
    // Whole half-seconds often, so steps land exactly on deadlines and on the 1 s write interval.
    const ms = (min: number, max: number) =>
      fc.oneof(
        fc.integer({ min, max }),
        fc.integer({ min: Math.ceil(min / 500), max: Math.floor(max / 500) }).map((n) => n * 500),
      );
    const step: fc.Arbitrary<Step> = fc.oneof(
      fc.record({ kind: fc.constant('advance'), ms: ms(-3000, 8000) }),
      fc.record({
        kind: fc.constant('touch'),
        offsetMs: fc.oneof(
          fc.constant(0), // an active request
          fc.constant(undefined), // a passive one
          ms(-2000, 20_000), // a ping
          fc.double({ min: 0, max: 20_000, noNaN: true }),
        ),
      }),
      // A lease's end in the past (idle since it) or to come (held: idle for no time).
      fc.record({ kind: fc.constant('held'), ms: ms(-15_000, 25_000) }),
    ) as fc.Arbitrary<Step>;
    const timeouts = fc
      .record({
        expireAfterMs: ms(1000, 10_000),
        absoluteTimeoutMs: fc.oneof(fc.constant(0), ms(1000, 20_000)),
      })
      .map(({ expireAfterMs, absoluteTimeoutMs }) =>
        withAbsolute(expireAfterMs, absoluteTimeoutMs),
      );

    await fc.assert(
      fc.asyncProperty(timeouts, fc.array(step, { maxLength: 12 }), async (timeouts, steps) => {
        clockMs = T0;
        const { session } = fakeSession();
        await store.start(session, timeouts);
        const id = markerOf(session);
        let model: { state: SecurityState } | { ended: EndReason } = {
          state: { lastActivity: T0, startedAt: T0, id },
        };
        for (const s of steps) {
          if (s.kind === 'advance') {
            clockMs += s.ms;
            continue;
          }
          if (s.kind === 'held') {
            if ('ended' in model) continue;
            model = { state: { ...model.state, heldUntil: clockMs + s.ms } };
            await admin.hset(keyOf(session), 'held', String(clockMs + s.ms));
            continue;
          }
          let expected: Touch;
          if ('ended' in model) {
            expected = { kind: 'ended', reason: model.ended };
          } else {
            const activityAt = s.offsetMs === undefined ? undefined : clockMs - s.offsetMs;
            const decision = decide(model.state, clockMs, activityAt, timeouts, randomUUID);
            if (decision.outcome === 'expired') {
              // The step that finds the expiry gives the sign-in as it stood (for its event).
              expected = { kind: 'ended', reason: decision.reason, found: model.state };
              model = { ended: decision.reason };
            } else {
              if (decision.write) model = { state: decision.state };
              expected = { kind: 'active', state: decision.state, nowMs: clockMs };
            }
          }
          expect(await store.touch(session, s.offsetMs, timeouts)).toEqual(expected);
        }
        const record = await admin.hgetall(keyOf(session));
        if ('ended' in model) expect(record.ended).toBe(model.ended);
        else {
          expect(Number(record.lastActivity)).toBe(model.state.lastActivity);
          expect(Number(record.startedAt)).toBe(model.state.startedAt);
          expect(record.ended).toBeUndefined();
        }
      }),
      { numRuns: 100 },
    );
  });
});
