// The NestJS example: session-security's Nest module (session-security/nestjs) on Nest's
// Express platform with express-session, or on its Fastify platform with @fastify/session. A
// global guard applies the idle timeout to every controller; the page's notifications poll is
// @Passive() (it keeps nothing alive), its Save button is activity.
//
//   npm run example:nestjs            # Express, then http://127.0.0.1:3000 (sign in as ada)
//   npm run example:nestjs-fastify    # the same app on Fastify
//
// Environment: PORT (3000), HOST (127.0.0.1), EXPIRE_AFTER (seconds, 900), WARN_AFTER (seconds;
// default the library's, 2 minutes before the expiry or a quarter of it if shorter), SESSION_SECRET.

import { defaultWarnAfter } from 'session-security';
import { createApp } from './app.js';

function seconds(name: string, fallback: number): number {
  const text = process.env[name]?.trim();
  if (!text) return fallback;
  const value = Number(text);
  if (!(value > 0)) {
    console.error(`nestjs example: ${name}=${JSON.stringify(text)} must be a number of seconds`);
    process.exit(1);
  }
  return value;
}

const platform = process.argv.includes('--fastify') ? 'fastify' : 'express';
const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? '127.0.0.1';
const expireAfter = seconds('EXPIRE_AFTER', 900);
const warnAfter = seconds('WARN_AFTER', defaultWarnAfter(expireAfter));

const app = await createApp({
  platform,
  sessionSecret: process.env.SESSION_SECRET,
  security: { expireAfter, warnAfter },
});
await app.listen(port, host);
console.log(
  `session-security NestJS example (${platform}) on http://${host}:${port}/  (sign in as ada, any password; expireAfter ${expireAfter} s, warnAfter ${warnAfter} s)`,
);
