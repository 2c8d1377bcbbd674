// The examples of session-security/better-auth: better-auth with its data in memory (`database`,
// better-auth's memory adapter), the plugin (`security`) in an instance (`auth`) with a signed-up
// user, that user's page load (`request`) and a Hono app (`app`). After the example, the plugin
// (its own `security` and `auth` if it made them) lets the signed-in page load through, and the
// routes its `app` added answer without a server error.

import { betterAuth } from 'better-auth';
import { memoryAdapter } from 'better-auth/adapters/memory';
import { Hono } from 'hono';
import { type SessionSecurityPlugin, sessionSecurity } from 'session-security/better-auth';
import { environment, SECRETS } from '../context.js';
import type { PreludeHooks } from '../run.js';

const restoreEnvironment = environment();
const ORIGIN = 'http://app.example';

export { betterAuth, sessionSecurity };
/** better-auth's tables, in memory. */
export const database = memoryAdapter({ user: [], session: [], account: [], verification: [] });
export const draftSecret = SECRETS.DRAFT_SECRET;
export const security = sessionSecurity({ loginUrl: '/login', draftSecret, sweepInterval: 0 });
export const auth = betterAuth({
  database,
  baseURL: ORIGIN,
  secret: SECRETS.SESSION_SECRET,
  emailAndPassword: { enabled: true },
  plugins: [security],
});
export const app = new Hono();

/** Signs a new user up in `instance`; a page load of theirs, as a browser sends it. */
export async function signedInRequest(instance: typeof auth, path = '/reports'): Promise<Request> {
  const email = `ada-${crypto.randomUUID()}@example.com`;
  const answer = await instance.api.signUpEmail({
    body: { email, password: 'correct horse battery', name: 'Ada' },
    asResponse: true,
  });
  if (!answer.ok) throw new Error(`sign-up answered ${answer.status}`);
  const cookie = answer.headers
    .getSetCookie()
    .map((line) => line.split(';')[0])
    .join('; ');
  return new Request(`${ORIGIN}${path}`, {
    headers: { cookie, 'sec-fetch-mode': 'navigate', 'sec-fetch-site': 'same-origin' },
  });
}

export const request = await signedInRequest(auth);

export const $example: PreludeHooks = {
  async after({ locals }) {
    const plugin = (locals.security ?? security) as SessionSecurityPlugin;
    const instance = (locals.auth ?? auth) as typeof auth;
    const page = await signedInRequest(instance);
    const refused = await plugin.check(page);
    if (refused) throw new Error(`the signed-in page load was refused: ${refused.status}`);
    const hono = locals.app as Hono | undefined;
    for (const route of hono?.routes.filter((r) => r.method !== 'ALL') ?? []) {
      const answer = await hono?.request(`${ORIGIN}${route.path}`, {
        method: route.method,
        headers: page.headers,
      });
      if (answer && answer.status >= 500) {
        throw new Error(`${route.method} ${route.path} answered ${answer.status}`);
      }
    }
  },
  async cleanup() {
    restoreEnvironment();
  },
};
