// The app's better-auth instance (server only): email and password, users and sessions in
// PostgreSQL through a `pg` Pool (DATABASE_URL, else the local `test` database), and
// session-security's plugin: the idle and absolute timeouts on its sessions.
import { betterAuth } from 'better-auth';
import { getMigrations } from 'better-auth/db/migration';
import { nextCookies } from 'better-auth/next-js';
import { Pool } from 'pg';
import { sessionSecurity } from 'session-security/better-auth';

/** Seconds, from the environment (the browser test shortens them), else the default. */
const seconds = (name: string, fallback: number) => Number(process.env[name] ?? fallback);

export const timeouts = sessionSecurity({
  expireAfter: seconds('EXPIRE_AFTER', 900), // sign out after 15 minutes without activity
  warnAfter: seconds('WARN_AFTER', 780), // warn 2 minutes before
  absoluteTimeout: seconds('ABSOLUTE_TIMEOUT', 8 * 3600), // and after 8 hours whatever happens
  loginUrl: '/login', // expired page loads go to /login?next=…&reason=idle
  // The app's origin from X-Forwarded-Host and -Proto, which Next.js sets on every request (its
  // request.url may name another host, e.g. localhost under `next start -H 127.0.0.1`).
  trustProxy: true,
  // Unsent forms kept across an expiry, for the same user only (docs/guide/behaviour.md).
  draftSecret: process.env.DRAFT_SECRET ?? 'change me: a secret of at least 32 characters',
});

export const auth = betterAuth({
  database: new Pool({
    connectionString: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test',
  }),
  emailAndPassword: { enabled: true },
  // The app's origin, for better-auth's Origin check: BETTER_AUTH_URL, else the loopback host
  // the request names (under `next start`, request.url says localhost whatever the Host).
  baseURL: process.env.BETTER_AUTH_URL ?? {
    allowedHosts: ['127.0.0.1:*', 'localhost:*'],
    protocol: 'http',
  },
  // better-auth refuses its default secret in production (`next start`).
  secret: process.env.BETTER_AUTH_SECRET ?? 'change me: a secret of at least 32 characters',
  plugins: [timeouts, nextCookies()], // nextCookies last: it lets Server Actions set cookies
});

/** Creates better-auth's tables (session-security's column included) when they are missing. */
export async function migrate(): Promise<void> {
  const { runMigrations } = await getMigrations(auth.options);
  await runMigrations();
}
