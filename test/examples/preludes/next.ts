// The examples of session-security/next: the better-auth plugin (`timeouts`) in an instance with
// its data in memory (`auth`), Next's side over it (`security`), a fetch handler with a session
// loader for apps without better-auth (`handler`, `loadSession`), and a signed-in user's page
// load (`request`). After the example, a `proxy` it exported lets that page load through to
// the app (NextResponse.next()), with a NextRequest as Next.js gives it.

import { NextRequest } from 'next/server.js';
import { sessionSecurity } from 'session-security/better-auth';
import { nextSessionSecurity } from 'session-security/next';
import type { PreludeHooks } from '../run.js';
import * as ba from './better-auth.js';
import { security as handler, loadSession, $example as web } from './web.js';

export { handler, loadSession, nextSessionSecurity, sessionSecurity };
export const { database, betterAuth, draftSecret } = ba;
export const timeouts = ba.security;
export const auth = ba.auth;
export const security = nextSessionSecurity(timeouts);
export const request = ba.request;

export const $example: PreludeHooks = {
  async after({ locals }) {
    if (typeof locals.proxy !== 'function') return;
    const page = new NextRequest(await ba.signedInRequest(auth));
    const answer = (await locals.proxy(page)) as Response;
    if (answer.headers.get('x-middleware-next') !== '1') {
      throw new Error(`the proxy did not let the signed-in page load through: ${answer.status}`);
    }
  },
  async cleanup() {
    await ba.$example.cleanup?.();
    await web.cleanup?.();
  },
};
