// The Fastify examples' context: `app`, a Fastify instance with @fastify/cookie,
// @fastify/session and session-security registered (`security`), not started yet so the example
// can add routes. After it, the app boots and each route it added is called (in process, with
// light-my-request) from a signed-in session.

import cookie from '@fastify/cookie';
import session from '@fastify/session';
import Fastify from 'fastify';
import { sessionSecurity } from 'session-security/fastify';
import { environment } from '../context.js';
import { draftSecret, isAuthenticated, secret, userId } from '../fastify-context.js';
import type { PreludeHooks } from '../run.js';

const restoreEnvironment = environment();

export * from '../fastify-context.js';
export { sessionSecurity };

export const app = Fastify();
await app.register(cookie);
await app.register(session, { secret, saveUninitialized: false, cookie: { secure: false } });
export const security = sessionSecurity({ isAuthenticated, userId, draftSecret, sweepInterval: 0 });
await app.register(security);
app.post('/$prelude/sign-in', async (request) => {
  await request.session.regenerate();
  request.session.set('user', 'ada');
  await security.start(request);
  return 'signed in';
});
/** The routes the example adds, as `METHOD /path`. */
const added: string[] = [];
app.addHook('onRoute', (route) => {
  for (const method of [route.method].flat()) added.push(`${method} ${route.url}`);
});

const SAME_ORIGIN = { 'sec-fetch-site': 'same-origin' };

export const $example: PreludeHooks = {
  async after() {
    await app.ready();
    const signIn = await app.inject({
      method: 'POST',
      url: '/$prelude/sign-in',
      headers: SAME_ORIGIN,
    });
    if (signIn.statusCode !== 200)
      throw new Error(`the prelude's sign-in answered ${signIn.statusCode}`);
    const cookies = signIn.cookies.map(({ name, value }) => `${name}=${value}`).join('; ');
    for (const route of added.filter((one) => !one.startsWith('HEAD '))) {
      const [method = 'GET', url = '/'] = route.split(' ');
      const reply = await app.inject({
        method: method as 'GET',
        url,
        headers: { ...SAME_ORIGIN, cookie: cookies },
      });
      if (reply.statusCode >= 500 || reply.statusCode === 404) {
        throw new Error(
          `${route}, the example's route, answered ${reply.statusCode}: ${reply.body}`,
        );
      }
    }
  },
  async cleanup() {
    try {
      await app.close();
    } finally {
      restoreEnvironment();
    }
  },
};
