// koa-session external stores for the Koa examples: one in memory, one in the run's Redis.

import type { createClient } from 'redis';
import type { KoaSessionStore } from 'session-security/koa';

/** Sessions in memory, as JSON text. */
export class MemoryStore implements KoaSessionStore {
  readonly #sessions = new Map<string, string>();
  async get(key: string) {
    const json = this.#sessions.get(key);
    return json === undefined ? undefined : JSON.parse(json);
  }
  async set(key: string, data: unknown) {
    this.#sessions.set(key, JSON.stringify(data));
  }
  async destroy(key: string) {
    this.#sessions.delete(key);
  }
}

/** A connected node-redis client (its type as createClient gives it: cheap to compile). */
type RedisClient = ReturnType<typeof createClient>;

/** Sessions in Redis under `prefix`, each with koa-session's maxAge as its TTL. */
export class RedisSessionStore implements KoaSessionStore {
  constructor(
    private readonly client: RedisClient,
    private readonly prefix: string,
  ) {}
  async get(key: string) {
    const json = await this.client.get(this.prefix + key);
    return json === null ? undefined : JSON.parse(json);
  }
  async set(key: string, data: unknown, maxAge: unknown) {
    const ttl = typeof maxAge === 'number' ? { PX: maxAge } : {};
    await this.client.set(this.prefix + key, JSON.stringify(data), ttl);
  }
  async destroy(key: string) {
    await this.client.del(this.prefix + key);
  }
}
