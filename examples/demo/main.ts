// Starts the demo from the environment (docs/guide/getting-started.md: Try it): PORT, EXPIRE_AFTER, WARN_AFTER,
// ABSOLUTE_TIMEOUT, SESSION_SECRET, DRAFT_SECRET, REDIS_URL or REDIS_SENTINELS (with
// REDIS_SENTINEL_NAME), REDIS_CLUSTER (the clocks, with REDIS_URL), REDIS_WAIT_REPLICAS, TRUST_PROXY,
// LOCK (`on`, the default: sign in again in place; `off`: expiry goes to the login page),
// RECENT_SIGN_IN (seconds; default 300). Stops with a clear message on a bad value. With the lock,
// passkeys too, on http://localhost:PORT (WebAuthn needs a secure context).
// Audit events go to stdout, one `audit {json}` line each.

import { createServer } from 'node:http';
import type session from 'express-session';
import { type ActivityStore, defaultWarnAfter } from 'session-security';
import { createDemoApp } from './app.js';

const DEMO_EXPIRE_AFTER = 120;
const DEMO_WARN_AFTER = 90;
const DEMO_SECRET = 'session-security demo secret: set SESSION_SECRET';

function fail(message: string): never {
  console.error(`demo: ${message}`);
  process.exit(1);
}

function seconds(name: string, fallback: number, allowZero = false): number {
  const text = process.env[name];
  if (text === undefined || text.trim() === '') return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    fail(
      `${name}=${JSON.stringify(text)} must be a number of seconds ${allowZero ? '(0 or more)' : 'greater than 0'}`,
    );
  }
  return value;
}

const portText = process.env.PORT ?? '3000';
const port = Number(portText);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  fail(`PORT=${JSON.stringify(portText)} must be a whole number from 0 to 65535`);
}
const expireAfter = seconds('EXPIRE_AFTER', DEMO_EXPIRE_AFTER);
// With a custom EXPIRE_AFTER, the library's default warning time fits it; 90 fits only 120.
const warnAfter = seconds(
  'WARN_AFTER',
  process.env.EXPIRE_AFTER ? defaultWarnAfter(expireAfter) : DEMO_WARN_AFTER,
);
const absoluteTimeout = seconds('ABSOLUTE_TIMEOUT', 0, true);
const recentSignIn = seconds('RECENT_SIGN_IN', 300);
const lockText = (process.env.LOCK ?? 'on').trim();
if (lockText !== 'on' && lockText !== 'off') {
  fail(`LOCK=${JSON.stringify(lockText)} must be on or off`);
}
const sessionSecret = process.env.SESSION_SECRET || DEMO_SECRET;
if (sessionSecret === DEMO_SECRET) {
  console.warn('demo: SESSION_SECRET is not set; using a fixed demo secret that anyone can read');
}
const draftSecret = process.env.DRAFT_SECRET || undefined;
if (draftSecret === undefined) {
  console.warn('demo: DRAFT_SECRET is not set; drafts are keyed with a fixed demo secret');
}

// Behind a reverse proxy: `1` trusts one hop (its X-Forwarded-Proto and Host), as Express reads it.
const trustProxyText = process.env.TRUST_PROXY?.trim();
const trustProxy =
  trustProxyText === undefined || trustProxyText === ''
    ? undefined
    : /^\d+$/.test(trustProxyText)
      ? Number(trustProxyText)
      : trustProxyText === 'true'
        ? true
        : trustProxyText;

/** `NAME=host:port,host:port`: the Sentinels of REDIS_SENTINELS, the nodes of REDIS_CLUSTER. */
function addressesOf(name: string, text: string): { host: string; port: number }[] {
  return text.split(',').map((entry) => {
    const match = /^\s*([^:\s]+):(\d{1,5})\s*$/.exec(entry);
    const port = Number(match?.[2]);
    if (!match?.[1] || !(port > 0 && port < 65536)) {
      fail(`${name}=${JSON.stringify(text)} must be host:port pairs separated by commas`);
    }
    return { host: match[1], port };
  });
}

const waitReplicasText = process.env.REDIS_WAIT_REPLICAS?.trim() || '0';
const waitReplicas = Number(waitReplicasText);
if (!/^\d+$/.test(waitReplicasText) || waitReplicas > 64) {
  fail(
    `REDIS_WAIT_REPLICAS=${JSON.stringify(waitReplicasText)} must be a whole number from 0 to 64`,
  );
}

let store: session.Store | undefined;
let activityStore: ActivityStore | undefined;
const sentinels = process.env.REDIS_SENTINELS?.trim();
const clusterNodes = process.env.REDIS_CLUSTER?.trim();
if (clusterNodes && !process.env.REDIS_URL) {
  fail('REDIS_CLUSTER (the sign-in clocks) needs REDIS_URL (the sessions, on one Redis)');
}
const clusterAddresses = clusterNodes ? addressesOf('REDIS_CLUSTER', clusterNodes) : undefined;
if (process.env.REDIS_URL || sentinels) {
  const { createClient, createSentinel } = await import('redis');
  const { RedisStore } = await import('connect-redis');
  const { redisStore } = await import('session-security/redis');
  const { guardSessionStore } = await import('session-security/express');
  // One server (REDIS_URL), or a primary and its replicas watched by Sentinels (REDIS_SENTINELS).
  const connect = () =>
    sentinels
      ? createSentinel({
          name: process.env.REDIS_SENTINEL_NAME?.trim() || 'mymaster',
          sentinelRootNodes: addressesOf('REDIS_SENTINELS', sentinels),
          // node-redis looks for a promoted primary only this often (no scan by default).
          scanInterval: 1000,
        })
      : createClient({ url: process.env.REDIS_URL });
  const where = sentinels ? `REDIS_SENTINELS=${sentinels}` : `REDIS_URL=${process.env.REDIS_URL}`;
  const client = connect();
  client.on('error', (error: Error) => console.error(`demo: Redis: ${error.message}`));
  try {
    await client.connect();
  } catch (error) {
    fail(`cannot reach Redis at ${where}: ${(error as Error).message}`);
  }
  // Fail fast while Redis is away (503), instead of waiting in the client's offline queue.
  store = guardSessionStore(new RedisStore({ client, prefix: 'session-security-demo:' }));
  // Sign-in clocks outside the session, shared by every instance; the subscriber (a second
  // connection) hears sign-outs, so most requests are answered from this process's copies.
  const prefix = 'session-security-demo:clock:';
  if (clusterAddresses) {
    // The clocks on a Redis Cluster, through ioredis (it follows a failover): no subscriber.
    const { Cluster } = await import('ioredis');
    const cluster = new Cluster(clusterAddresses, { lazyConnect: true });
    cluster.on('error', (error: Error) => console.error(`demo: Redis Cluster: ${error.message}`));
    try {
      await cluster.connect();
    } catch (error) {
      fail(
        `cannot reach the Redis Cluster at REDIS_CLUSTER=${clusterNodes}: ${(error as Error).message}`,
      );
    }
    activityStore = redisStore({ client: cluster, prefix, waitReplicas });
  } else {
    const subscriber = connect();
    subscriber.on('error', (error: Error) =>
      console.error(`demo: Redis subscriber: ${error.message}`),
    );
    await subscriber.connect();
    // With replicas: a sign-out is acknowledged once they hold it (README: waitReplicas).
    activityStore = redisStore({ client, subscriber, prefix, waitReplicas });
  }
}

// The app is made once the port is known: passkeys need the origin the browser opens it on.
let app: ReturnType<typeof createDemoApp> | undefined;
const server = createServer((req, res) => {
  if (app) return app(req, res);
  res.writeHead(503, { 'retry-after': '1' }).end();
});
server.listen(port, '127.0.0.1', () => {
  const address = server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  const lock = lockText === 'on';
  try {
    app = createDemoApp({
      expireAfter,
      warnAfter,
      absoluteTimeout,
      sessionSecret,
      lock,
      recentSignIn,
      // WebAuthn needs a secure context: http://localhost is one, http://127.0.0.1 is not.
      ...(lock ? { passkeyOrigin: `http://localhost:${actualPort}` } : {}),
      ...(draftSecret ? { draftSecret } : {}),
      ...(store ? { store } : {}),
      ...(activityStore ? { activityStore } : {}),
      ...(trustProxy !== undefined ? { trustProxy } : {}),
      auditLog: (line) => process.stdout.write(`${line}\n`),
    });
  } catch (error) {
    fail((error as Error).message);
  }
  console.log(
    `session-security demo on http://127.0.0.1:${actualPort}  (sign in as demo / demo, or admin / admin for a shorter idle timeout)`,
  );
  if (lock) {
    console.log(
      `passkeys work on http://localhost:${actualPort} (a secure context; 127.0.0.1 is not one)`,
    );
  }
  console.log(
    `expireAfter ${expireAfter} s, warnAfter ${warnAfter} s, absoluteTimeout ${absoluteTimeout || 'off'}, sessions and sign-in clocks in ${store ? 'Redis' : 'memory'}`,
  );
});
server.on('error', (error) => fail(`cannot listen on 127.0.0.1:${port}: ${error.message}`));
