// The Koa examples' context: the app of ./koa-bare.ts with koa-session (over `store`) and
// session-security (`security`) mounted, and a sign-in of the prelude's own. After the example,
// a signed-in browser loads a page and signs out (`POST /logout`): neither may fail.

import type { Context } from 'koa';
import { sessionSecurity } from 'session-security/koa';
import { CookieJar, listen } from '../../support/http.js';
import { request, SECRETS } from '../context.js';
import type { PreludeHooks } from '../run.js';
import { app, $example as bare, session, store } from './koa-bare.js';

export * from './koa-bare.js';

type SignedIn = { user?: string } | null | undefined;
const sessionOf = (ctx: Context) => ctx.session as SignedIn;
export const isAuthenticated = (ctx: Context) => typeof sessionOf(ctx)?.user === 'string';

app.use(session({ store, key: 'docs.sid' }, app));
export const security = sessionSecurity({
  isAuthenticated,
  userId: (ctx) => sessionOf(ctx)?.user ?? '',
  draftSecret: SECRETS.DRAFT_SECRET,
  sweepInterval: 0,
});
app.use(security);
app.use(async (ctx, next) => {
  if (ctx.method !== 'POST' || ctx.path !== '/$prelude/sign-in') return next();
  (ctx.session as { user?: string }).user = 'ada';
  await security.start(ctx);
  ctx.body = 'signed in';
});

export const $example: PreludeHooks = {
  async after() {
    const server = await listen(app.callback());
    try {
      const jar = new CookieJar();
      for (const [method, path] of [
        ['POST', '/$prelude/sign-in'],
        ['GET', '/reports'],
        ['POST', '/logout'],
      ] as const) {
        const reply = await request(server.origin, jar, method, path);
        if (reply.status >= 500)
          throw new Error(`${method} ${path} answered ${reply.status}: ${reply.text}`);
      }
    } finally {
      await server.close();
    }
  },
  cleanup: () => bare.cleanup?.() ?? Promise.resolve(),
};
