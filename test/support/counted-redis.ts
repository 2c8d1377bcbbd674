// Redis connections for tests of the Redis store's copies (src/stores/redis-cache.ts): ioredis
// and node-redis clients with their subscribers, each counting the scripts it sends about a key
// (a step answered from a copy sends none), and able to hold every reply a while (Redis slow to
// answer).

import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { vi } from 'vitest';
import type { RedisClient } from '../../src/stores/redis.js';
import { sleep } from './sleep.js';

/** A connection and its subscriber, with the count of scripts sent about one key. */
export interface Connection {
  client: RedisClient;
  subscriber: RedisClient;
  /** Scripts sent naming `key` since the last reset. */
  callsOn(key: string): number;
  reset(): void;
  /** Holds each script's reply this long before the store sees it (0: none). */
  delayReplies(ms: number): void;
}

export interface ClientKind {
  name: string;
  connect(): Promise<Connection>;
}

function counting(keysOf: (args: unknown[]) => unknown[]) {
  const calls: unknown[][] = [];
  let delayMs = 0;
  return {
    record: (args: unknown[]) => calls.push(keysOf(args)),
    /** The reply, held for the delay asked. */
    async held<T>(reply: Promise<T>): Promise<T> {
      try {
        return await reply;
      } finally {
        if (delayMs > 0) await sleep(delayMs);
      }
    },
    delayReplies: (ms: number) => {
      delayMs = ms;
    },
    callsOn: (key: string) => calls.filter((keys) => keys.includes(key)).length,
    reset: () => {
      calls.length = 0;
    },
  };
}

/**
 * The two client libraries, connecting to the Redis on `port()`; each connection's closing is
 * handed to `closeLater`. They reconnect every 20 ms (a test may stop and resume that Redis).
 */
export function countedClients(
  port: () => number,
  closeLater: (close: () => void) => void,
): [ClientKind, ClientKind] {
  const ioredis: ClientKind = {
    name: 'ioredis',
    async connect() {
      const client = new Redis({ host: '127.0.0.1', port: port(), retryStrategy: () => 20 });
      client.on('error', () => {});
      const subscriber = client.duplicate();
      subscriber.on('error', () => {});
      await Promise.all(
        [client, subscriber].map((c) => new Promise((resolve) => c.once('ready', resolve))),
      );
      const count = counting((args) => args.slice(2, 2 + Number(args[1])));
      const evalsha = client.evalsha.bind(client);
      vi.spyOn(client, 'evalsha').mockImplementation(((...args: Parameters<typeof evalsha>) => {
        count.record(args);
        return count.held(evalsha(...args));
      }) as typeof evalsha);
      closeLater(() => {
        client.disconnect();
        subscriber.disconnect();
      });
      const { callsOn, reset, delayReplies } = count;
      return { client, subscriber, callsOn, reset, delayReplies };
    },
  };
  const nodeRedis: ClientKind = {
    name: 'node-redis',
    async connect() {
      const client = createClient({
        socket: { host: '127.0.0.1', port: port(), reconnectStrategy: () => 20 },
      });
      client.on('error', () => {});
      const subscriber = client.duplicate();
      subscriber.on('error', () => {});
      await Promise.all([client.connect(), subscriber.connect()]);
      const count = counting((args) => (args[1] as { keys: string[] }).keys);
      const evalSha = client.evalSha.bind(client);
      vi.spyOn(client, 'evalSha').mockImplementation(((...args: Parameters<typeof evalSha>) => {
        count.record(args);
        return count.held(evalSha(...args));
      }) as typeof evalSha);
      closeLater(() => {
        if (client.isOpen) client.destroy();
        if (subscriber.isOpen) subscriber.destroy();
      });
      const { callsOn, reset, delayReplies } = count;
      return { client, subscriber, callsOn, reset, delayReplies };
    },
  };
  return [ioredis, nodeRedis];
}
