// The app's sessions: kept in this process's memory (a Map), named by an httpOnly cookie, and
// handed to session-security as WebSessions. SvelteKit has no session of its own; any session
// library can be wrapped the same way.
import type { RequestEvent } from '@sveltejs/kit';
import type { WebSession } from 'session-security/sveltekit';

const COOKIE = 'sid';

/** Each session's values, by its id. */
const sessions = new Map<string, Map<string, unknown>>();

function cookieOptions(event: RequestEvent) {
  return {
    path: '/',
    httpOnly: true,
    sameSite: 'lax' as const,
    secure: event.url.protocol === 'https:',
  };
}

/** A fresh, empty session under a new id, its cookie set on the answer. */
function create(event: RequestEvent): string {
  const id = crypto.randomUUID();
  sessions.set(id, new Map());
  event.cookies.set(COOKIE, id, cookieOptions(event));
  return id;
}

/** The session `id` as a WebSession; `destroy` and `regenerate` write its cookie. */
function webSession(event: RequestEvent, sid: string): WebSession {
  let id: string | undefined = sid;
  const values = () => (id === undefined ? undefined : sessions.get(id));
  return {
    id: () => id,
    get: (key) => values()?.get(key),
    set: (key, value) => {
      values()?.set(key, value);
    },
    delete: (key) => {
      values()?.delete(key);
    },
    destroy: () => {
      if (id !== undefined) sessions.delete(id);
      id = undefined;
      event.cookies.delete(COOKIE, cookieOptions(event));
    },
    regenerate: () => {
      if (id !== undefined) sessions.delete(id);
      id = create(event);
    },
  };
}

/**
 * The request's session (session-security's `session` option), also kept in `locals.session`
 * for the app; undefined when its cookie names none that is alive.
 */
export function loadSession(event: RequestEvent): WebSession | undefined {
  const sid = event.cookies.get(COOKIE);
  const session = sid !== undefined && sessions.has(sid) ? webSession(event, sid) : undefined;
  event.locals.session = session;
  return session;
}

/** The request's session, made now when it has none (the sign-in). */
export function openSession(event: RequestEvent): WebSession {
  const session = event.locals.session ?? webSession(event, create(event));
  event.locals.session = session;
  return session;
}

/** The signed-in user of the request, or undefined. */
export function userOf(event: RequestEvent): string | undefined {
  const user = event.locals.session?.get('user');
  return typeof user === 'string' ? user : undefined;
}
