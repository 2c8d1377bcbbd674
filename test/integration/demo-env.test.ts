// The demo's Redis settings from the environment (examples/demo/main.ts), as `npm start` runs it:
// a bad REDIS_SENTINELS, REDIS_CLUSTER or REDIS_WAIT_REPLICAS stops it at once with a message
// naming the value. (The demo on Sentinel and on a Cluster runs in the fault run's phases 9 and
// 10: bench/faults-inject.ts.)

import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');

function startDemo(env: Record<string, string>) {
  return spawnSync(join(ROOT, 'node_modules/.bin/tsx'), ['examples/demo/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: '0',
      REDIS_URL: '',
      SESSION_SECRET: 's',
      DRAFT_SECRET: 'd',
      ...env,
    },
    encoding: 'utf8',
    timeout: 20_000,
  });
}

describe('the demo refuses bad Redis settings', () => {
  it.each([
    [{ REDIS_SENTINELS: '127.0.0.1' }, /REDIS_SENTINELS="127.0.0.1" must be host:port pairs/],
    [{ REDIS_SENTINELS: 'a:1,b:70000' }, /REDIS_SENTINELS="a:1,b:70000" must be host:port pairs/],
    [
      { REDIS_WAIT_REPLICAS: 'one' },
      /REDIS_WAIT_REPLICAS="one" must be a whole number from 0 to 64/,
    ],
    [{ REDIS_WAIT_REPLICAS: '65' }, /REDIS_WAIT_REPLICAS="65" must be a whole number from 0 to 64/],
    [{ REDIS_CLUSTER: '127.0.0.1:1' }, /REDIS_CLUSTER \(the sign-in clocks\) needs REDIS_URL/],
    [
      { REDIS_URL: 'redis://127.0.0.1:1', REDIS_CLUSTER: 'x' },
      /REDIS_CLUSTER="x" must be host:port/,
    ],
  ])('%j', (env, message) => {
    const ran = startDemo(env);
    expect(ran.status).toBe(1);
    expect(ran.stderr).toMatch(message);
  });
});
