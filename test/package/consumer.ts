// A consumer of every server entry by its public name, with a value and a type of each:
// test/integration/package-install.test.ts compiles it in its fresh app under each TypeScript
// module mode (commonjs, node16, nodenext, bundler), and runs what commonjs and node16 emit,
// which prints what each imported value is and which of the package's files were loaded.

import { resolveOptions, type SessionSecurityOptions, safeNextPath } from 'session-security';
import { createLifecycle, type Lifecycle } from 'session-security/adapter';
import { type ClientOptions, SessionSecurity } from 'session-security/client';
import {
  type ExpressSessionSecurity,
  sessionSecurity as expressSessionSecurity,
} from 'session-security/express';
import {
  type FastifySessionSecurity,
  sessionSecurity as fastifySessionSecurity,
} from 'session-security/fastify';
import {
  type HonoSessionSecurity,
  sessionSecurity as honoSessionSecurity,
} from 'session-security/hono';
import {
  type KoaSessionSecurity,
  sessionSecurity as koaSessionSecurity,
} from 'session-security/koa';
import {
  type OpenTelemetryMetricsOptions,
  openTelemetryMetrics,
} from 'session-security/opentelemetry';
import { type PasskeyOptions, passkeys } from 'session-security/passkeys';
import { type RedisStoreOptions, redisStore } from 'session-security/redis';
import { type SessionSecurityHandler, sessionSecurityHandler } from 'session-security/web';

/** One type of each entry: a type that did not resolve would be an error (strict, no `any`). */
export type Types = [
  SessionSecurityOptions<unknown>,
  Lifecycle<unknown>,
  ClientOptions,
  ExpressSessionSecurity,
  FastifySessionSecurity,
  HonoSessionSecurity,
  KoaSessionSecurity,
  OpenTelemetryMetricsOptions,
  PasskeyOptions,
  RedisStoreOptions,
  SessionSecurityHandler,
];

const next: string | undefined = safeNextPath('/inbox?tab=2') ?? undefined;
const values: Record<string, unknown> = {
  resolveOptions,
  safeNextPath,
  createLifecycle,
  SessionSecurity,
  expressSessionSecurity,
  fastifySessionSecurity,
  honoSessionSecurity,
  koaSessionSecurity,
  openTelemetryMetrics,
  passkeys,
  redisStore,
  sessionSecurityHandler,
};

// Under CommonJS, the files require() loaded (an ES module's `require` is undefined at run time).
const loaded = typeof require === 'undefined' ? [] : Object.keys(require.cache);
console.log(
  JSON.stringify({
    next,
    kinds: Object.fromEntries(Object.entries(values).map(([name, value]) => [name, typeof value])),
    loaded,
  }),
);
