// The server bench's Redis helpers: a client of the shared Redis on 127.0.0.1:6379, the deletion
// of a run's keys, and Redis's own CPU time. Nothing here writes a key.

import { createClient } from 'redis';

export type RedisClient = ReturnType<typeof createClient>;
export const REDIS_URL = 'redis://127.0.0.1:6379';

/** A connected node-redis client that never queues while disconnected: a lost Redis fails fast. */
export async function connectRedis(): Promise<RedisClient> {
  const client = createClient({
    url: REDIS_URL,
    disableOfflineQueue: true,
    socket: { connectTimeout: 5000, reconnectStrategy: false },
  });
  client.on('error', (error: Error) => console.error(`server bench: Redis: ${error.message}`));
  try {
    await client.connect();
  } catch (error) {
    throw new Error(
      `server bench: no Redis answers on 127.0.0.1:6379 (npm test starts one): ${(error as Error).message}`,
    );
  }
  return client;
}

/** A second connection like `client`, for session-security's Redis store to subscribe (the README setup). */
export async function connectSubscriber(client: RedisClient): Promise<RedisClient> {
  const subscriber = client.duplicate();
  subscriber.on('error', (error: Error) =>
    console.error(`server bench: Redis subscriber: ${error.message}`),
  );
  await subscriber.connect();
  return subscriber;
}

/** Every top-level EVALSHA Redis has run so far (INFO commandstats): session-security's scripts. */
export async function redisScriptCalls(client: RedisClient): Promise<number> {
  const info = await client.info('commandstats');
  return Number(/^cmdstat_evalsha:calls=(\d+)/m.exec(info)?.[1] ?? 0);
}

/** Deletes every key under `prefix` (SCAN + DEL); returns how many. */
export async function deleteKeys(client: RedisClient, prefix: string): Promise<number> {
  let deleted = 0;
  for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) {
    if (keys.length > 0) deleted += await client.del(keys);
  }
  return deleted;
}

/** Redis's own CPU time so far (used_cpu_user + used_cpu_sys), in microseconds. */
export async function redisCpuMicros(client: RedisClient): Promise<number> {
  const info = await client.info('cpu');
  const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1]);
  const seconds = field('used_cpu_user') + field('used_cpu_sys');
  if (!Number.isFinite(seconds)) {
    throw new Error(`server bench: INFO cpu gave no CPU time: ${info}`);
  }
  return seconds * 1e6;
}
