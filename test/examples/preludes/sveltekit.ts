// The SvelteKit examples' context: sessions in a Map named by a `sid` cookie (`sessions`,
// `loadSession`, `openSession`, the signed-in one under `sid`), the `App.Locals` the guide
// declares, a `security` over them, and `event`, a RequestEvent of the signed-in session's page
// load that has been through `security.handle` (its `locals.sessionSecurity` is there). After
// the example, each `handle` hook it made (its own `sessionSecurity(…)`, or `handle`) must let
// that page load through, with the client's tags in the page.

import type { RequestEvent } from '@sveltejs/kit';
import {
  type SessionSecurityLocals,
  type SvelteKitSessionSecurity,
  sessionSecurity,
  type WebSession,
} from 'session-security/sveltekit';
import { runHandle } from '../../support/sveltekit-events.js';
import { environment, SECRETS } from '../context.js';
import type { PreludeHooks } from '../run.js';

declare global {
  namespace App {
    interface Locals {
      sessionSecurity: SessionSecurityLocals;
      session: WebSession | undefined;
    }
  }
}

const restoreEnvironment = environment();

export type { RequestEvent };
export { sessionSecurity };
export const draftSecret = SECRETS.DRAFT_SECRET;
export const sessions = new Map<string, Map<string, unknown>>();
export const sid = 'sid-ada';
sessions.set(sid, new Map<string, unknown>([['user', 'ada']]));

function mapSession(event: RequestEvent, first: string): WebSession {
  let id: string | undefined = first;
  const values = () => (id === undefined ? undefined : sessions.get(id));
  return {
    id: () => id,
    get: (key) => values()?.get(key),
    set: (key, value) => void values()?.set(key, value),
    delete: (key) => void values()?.delete(key),
    destroy: () => {
      if (id !== undefined) sessions.delete(id);
      id = undefined;
      event.cookies.delete('sid', { path: '/' });
    },
    regenerate: () => {
      if (id !== undefined) sessions.delete(id);
      id = crypto.randomUUID();
      sessions.set(id, new Map());
      event.cookies.set('sid', id, { path: '/' });
    },
  };
}

/** The request's session, kept in `locals.session`; undefined when its cookie names none. */
export function loadSession(event: RequestEvent): WebSession | undefined {
  const id = event.cookies.get('sid');
  event.locals.session = id !== undefined && sessions.has(id) ? mapSession(event, id) : undefined;
  return event.locals.session;
}

/** The request's session, made now when it has none (at sign-in). */
export function openSession(event: RequestEvent): WebSession {
  if (event.locals.session) return event.locals.session;
  const id = crypto.randomUUID();
  sessions.set(id, new Map());
  event.cookies.set('sid', id, { path: '/' });
  event.locals.session = mapSession(event, id);
  return event.locals.session;
}

export const isAuthenticated = ({ session }: { session: WebSession }) =>
  typeof session.get('user') === 'string';

export const security = sessionSecurity({
  isAuthenticated,
  userId: ({ session }) => String(session.get('user') ?? ''),
  draftSecret,
  session: loadSession,
  sweepInterval: 0,
});

/** A page load of the signed-in session, as a browser sends it. */
const pageLoad = () =>
  new Request('http://app.example/reports?page=2', {
    headers: {
      cookie: `sid=${sid}`,
      'sec-fetch-mode': 'navigate',
      'sec-fetch-site': 'same-origin',
    },
  });

const prepared = await runHandle(security, pageLoad());
if (!prepared.resolved)
  throw new Error(`the signed-in page load was refused: ${prepared.response.status}`);
export const event = prepared.event;

const isHook = (value: unknown): value is SvelteKitSessionSecurity =>
  typeof (value as { handle?: unknown } | null)?.handle === 'function';

export const $example: PreludeHooks = {
  async after({ locals }) {
    for (const made of Object.values(locals).filter(isHook)) {
      const { resolved, response } = await runHandle(made, pageLoad());
      if (!resolved)
        throw new Error(`the example's hook refused the signed-in page: ${response.status}`);
    }
  },
  async cleanup() {
    restoreEnvironment();
  },
};
