// Redis session stores for the server bench's Koa and Hono apps, so that their "sessions in
// Redis" apps are what Express's and Fastify's are with connect-redis: the framework's own
// session plugin keeping each session in Redis, over the app's node-redis client, the session as
// JSON under one key with a TTL, under the run's prefix (so that `deleteKeys` removes them).
// Why the bench has its own: none installed fits. connect-redis speaks express-session's store
// interface, not koa-session's or hono-sessions'. `npm view koa-redis engines peerDependencies
// dependencies` (4.0.1): engines node >= 4 and no peer dependencies, but its own ioredis ^4 (the
// project has ioredis 5 and the bench's apps talk node-redis) and co-wrap-all;
// `npm view hono-sessions-redis` (1.1.1):
// hono-sessions ^0.3.4 as a dependency (a second, older hono-sessions beside the installed 0.8,
// whose middleware would not be the one the bench measures) and ioredis 5. Either is a new
// dependency with another Redis client than the rest of the bench's Redis rows, for a few lines
// of GET / SET PX / DEL. Plain stores, as an app would write them: no batching, no cache.
// Must not: write Redis keys outside `prefix`, or measure anything.

import type { SessionData, Store } from 'hono-sessions';
import type { CreateSessionOptions } from 'koa-session';
import type { RedisClient } from './server-redis.js';

/** A session's TTL when its plugin gives none: a day (connect-redis's and koa-session's default). */
const ONE_DAY_MS = 86_400_000;

/** SET's options for a TTL in milliseconds (at least 1: PX 0 is an error). */
const px = (ms: number) =>
  ({ expiration: { type: 'PX', value: Math.max(1, Math.ceil(ms)) } }) as const;

/**
 * koa-session 7's external store (its `store` option): one GET per request that carries a session
 * cookie; a SET (PX koa-session's maxAge, which it gives 10 s past the cookie's) only when
 * koa-session saves, that is when the session changed (or `rolling`/`renew` say so); DEL when it
 * destroys one (sign-out, regenerate).
 */
export class KoaRedisSessionStore implements NonNullable<CreateSessionOptions['store']> {
  constructor(
    private readonly client: RedisClient,
    private readonly prefix: string,
  ) {}

  async get(key: string): Promise<unknown> {
    const json = await this.client.get(this.prefix + key);
    // koa-session takes a missing session for a new one and checks `_expire` itself.
    return json === null ? undefined : JSON.parse(json);
  }

  async set(key: string, session: unknown, maxAge: number): Promise<void> {
    // koa-session passes the string 'session' for `maxAge: 'session'` (a browser-session
    // cookie) whatever its type says: the store then keeps it a day.
    const ttl = typeof maxAge === 'number' && maxAge > 0 ? maxAge : ONE_DAY_MS;
    await this.client.set(this.prefix + key, JSON.stringify(session), px(ttl));
  }

  async destroy(key: string): Promise<void> {
    await this.client.del(this.prefix + key);
  }
}

/**
 * hono-sessions 0.8's `Store`. hono-sessions stamps `_accessed` on every request (with its
 * default `autoExtendExpiration`), so every request with a session is a GET and a SET
 * (`persistSessionData`): its MemoryStore hides that by handing out the stored object itself,
 * which a store outside the process cannot. A request without a session cookie creates one
 * (`createSession`: a SET); a sign-in's new id (`session_key_rotation`) is a DEL and a SET.
 * The TTL is the session's `_expire` (hono-sessions' `expireAfterSeconds`) when it has one.
 */
export class HonoRedisSessionStore implements Store {
  constructor(
    private readonly client: RedisClient,
    private readonly prefix: string,
  ) {}

  async getSessionById(sessionId?: string): Promise<SessionData | null> {
    if (sessionId === undefined || sessionId === '') return null;
    const json = await this.client.get(this.prefix + sessionId);
    return json === null ? null : (JSON.parse(json) as SessionData);
  }

  async createSession(sessionId: string, initialData: SessionData): Promise<void> {
    await this.write(sessionId, initialData);
  }

  async persistSessionData(sessionId: string, sessionData: SessionData): Promise<void> {
    await this.write(sessionId, sessionData);
  }

  async deleteSession(sessionId: string): Promise<void> {
    await this.client.del(this.prefix + sessionId);
  }

  private async write(sessionId: string, data: SessionData): Promise<void> {
    const expire = data._expire === null ? Number.NaN : Date.parse(data._expire);
    const ttl = Number.isFinite(expire) ? expire - Date.now() : ONE_DAY_MS;
    await this.client.set(this.prefix + sessionId, JSON.stringify(data), px(ttl));
  }
}
