// The examples of session-security/web: sessions in a Map named by their id (`sessions`, the
// signed-in one `sid` with its `data`), the page request of that session (`request`, `session`,
// `loadSession`), a handler over them (`security`) and a Hono app for an `onError`. After the
// example, a handler it made (its `security`, or the prelude's) checks the signed-in page
// request and must let it through; a route handler it exported must answer the signed-in
// session (`GET` a ping: 200; `POST` a sign-out: 303, and the session is gone).

import { Hono } from 'hono';
import { sessionSecurityHandler, type WebSession } from 'session-security/web';
import { environment, SECRETS } from '../context.js';
import type { PreludeHooks } from '../run.js';

const restoreEnvironment = environment();

export { sessionSecurityHandler };
export const sessions = new Map<string, Map<string, unknown>>();
export let sid = 'sid-ada';
export const user = 'ada';
export const data = new Map<string, unknown>([['user', user]]);
sessions.set(sid, data);

/** The app's own id rotation: the session's data under a fresh id. */
export function rotate(old: string): void {
  const values = sessions.get(old) ?? new Map<string, unknown>();
  sessions.delete(old);
  sid = `${old}-rotated`;
  sessions.set(sid, values);
}

/** The request's session, loaded from the Map by its `sid` cookie; undefined without one. */
export function loadSession(request: Request): WebSession | undefined {
  const id = /(?:^|;\s*)sid=([^;]+)/.exec(request.headers.get('cookie') ?? '')?.[1];
  const values = id === undefined ? undefined : sessions.get(id);
  if (id === undefined || values === undefined) return undefined;
  return {
    id: () => id,
    get: (key) => values.get(key),
    set: (key, value) => void values.set(key, value),
    delete: (key) => void values.delete(key),
    destroy: () => void sessions.delete(id),
    regenerate: () => rotate(id),
  };
}

/** An app's own sign-in route, which does not call `start`: the signed-in user, a 303. */
export async function signInRoute(_request: Request, signedIn: WebSession | undefined) {
  await signedIn?.set('user', user);
  return new Response(null, { status: 303, headers: { location: '/' } });
}

export const isAuthenticated = ({ session }: { session: WebSession }) =>
  typeof session.get('user') === 'string';
export const userId = ({ session }: { session: WebSession }) => String(session.get('user') ?? '');
export const draftSecret = SECRETS.DRAFT_SECRET;

/** A page load of the signed-in session, as a browser sends it. */
export const request = new Request('https://app.example/reports?page=2', {
  headers: { cookie: `sid=${sid}`, 'sec-fetch-mode': 'navigate', 'sec-fetch-site': 'same-origin' },
});
export const session = loadSession(request) as WebSession;
export const security = sessionSecurityHandler({
  isAuthenticated,
  userId,
  draftSecret,
  sweepInterval: 0,
});
export const app = new Hono();

export const $example: PreludeHooks = {
  async after({ locals }) {
    const handler = (locals.security ?? security) as typeof security;
    const page = new Request(request.url, { headers: request.headers });
    const refused = await handler.check(page, loadSession(page));
    if (refused) throw new Error(`the signed-in page request was refused: ${refused.status}`);
    if (typeof locals.GET === 'function') {
      const answer = (await locals.GET(
        new Request('https://app.example/session-security/ping', {
          headers: { cookie: `sid=${sid}`, 'sec-fetch-site': 'same-origin' },
        }),
      )) as Response;
      if (answer.status !== 200) throw new Error(`GET answered ${answer.status}`);
    }
    if (typeof locals.POST === 'function') {
      const answer = (await locals.POST(
        new Request('https://app.example/logout', {
          method: 'POST',
          headers: { cookie: `sid=${sid}`, 'sec-fetch-site': 'same-origin' },
        }),
      )) as Response;
      if (answer.status !== 303) throw new Error(`POST answered ${answer.status}`);
      if (sessions.has(sid)) throw new Error('POST signed out, and the session is still stored');
    }
  },
  async cleanup() {
    restoreEnvironment();
  },
};
