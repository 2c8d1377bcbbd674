// session-security for this app: the timeouts (EXPIRE_AFTER and WARN_AFTER, in seconds, for
// the browser test's short ones), the login page, and the sessions of ./sessions.ts.
import { sessionSecurity } from 'session-security/sveltekit';
import { loadSession } from './sessions.js';

/** A whole number of seconds from the environment, or the default. */
function seconds(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value <= 0) {
    throw new Error(`${name} (${process.env[name]}) must be a whole number of seconds`);
  }
  return value;
}

const expireAfter = seconds('EXPIRE_AFTER', 900);

export const security = sessionSecurity({
  expireAfter, // sign out after 15 minutes without activity
  warnAfter: seconds('WARN_AFTER', Math.max(1, expireAfter - 120)), // warn 2 minutes before
  loginUrl: '/login', // expired page loads go to /login?next=…&reason=idle
  isAuthenticated: ({ session }) => typeof session.get('user') === 'string',
  userId: ({ session }) => String(session.get('user') ?? ''),
  draftSecret: process.env.DRAFT_SECRET ?? 'the example secret, for drafts kept across an expiry',
  session: loadSession,
});
