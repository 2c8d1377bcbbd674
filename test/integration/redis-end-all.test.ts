// "Sign out everywhere else" with the Redis store stays linear in a user's sign-ins: 2,000
// sign-ins of one user are ended in one walk over the user's index, each sign-in's script sent
// with its batch, never one walk per sign-in. Counted on a real Redis (the run's own).

import { Redis } from 'ioredis';
import { resolveOptions } from 'session-security';
import { redisStore } from 'session-security/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLifecycle, type RequestFacts } from '../../src/server/lifecycle.js';
import { FakeSession } from '../support/fake-session.js';
import { testRedisPort } from '../support/test-redis.js';

const PREFIX = `ss-end-all-${process.pid}-${Date.now()}:`;
const SIGN_INS = 2000;

let client: Redis;
beforeAll(async () => {
  client = new Redis({ host: '127.0.0.1', port: testRedisPort(), lazyConnect: true });
  await client.connect();
});
afterAll(async () => {
  const keys = await client.keys(`${PREFIX}*`);
  if (keys.length > 0) await client.del(...keys);
  await client.quit();
});

/** A same-origin request of ada's, as an adapter describes it to the lifecycle. */
const request = { user: 'ada' };
const facts: RequestFacts<typeof request> = {
  req: request,
  method: 'POST',
  path: '/sessions/end',
  url: '/sessions/end',
  header: () => undefined,
  appOrigin: 'https://app.example',
  readBody: async () => ({ kind: 'text', text: '' }),
};

describe('ending every other sign-in of a user with the Redis store', () => {
  it(`sends about one command per sign-in for ${SIGN_INS} sign-ins, and ends all but the current one`, async () => {
    let commands = 0;
    // Every store operation is one EVALSHA (SCRIPT LOAD only after a flush): count them.
    const counting = new Proxy(client, {
      get(target, name, receiver) {
        const value = Reflect.get(target, name, receiver);
        if (name !== 'evalsha' || typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          commands++;
          return value.apply(target, args);
        };
      },
    });
    const lifecycle = createLifecycle(
      resolveOptions({
        isAuthenticated: () => true,
        userId: (req: typeof request) => req.user,
        drafts: false,
        sweepInterval: 0,
        store: redisStore({ client: counting, prefix: PREFIX }),
        logger: { warn: () => {}, error: () => {} },
      }),
    );
    const sessions: FakeSession[] = [];
    for (let i = 0; i < SIGN_INS; i++) {
      const session = new FakeSession(`sid-${i}`);
      await lifecycle.start(facts, session);
      sessions.push(session);
    }
    const current = sessions[0] as FakeSession;
    const signIns = lifecycle.signIns((r: typeof request) => ({ req: r, session: current, facts }));
    commands = 0;
    const ended = await signIns.endAll(request, { keepCurrent: true });
    expect(ended).toBe(SIGN_INS - 1);
    // One END a sign-in, and a few per batch of 200 for the index: linear, not N walks.
    expect(commands).toBeLessThanOrEqual(SIGN_INS + 100);
    const left = await signIns.list(request);
    // With the Redis store the session holds only its sign-in's marker.
    expect(left.map((signIn) => signIn.signIn)).toEqual([(current.read() as { id: string }).id]);
  }, 60_000);
});
