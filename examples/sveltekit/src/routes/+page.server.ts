// The signed-in page's server side: its load (which the page's timer reloads every 2 s, a
// passive data request), a note saved by an enhanced form action (activity), and the sign-out.
import { type Actions, redirect, type ServerLoad } from '@sveltejs/kit';
import { userOf } from '../lib/server/sessions.js';

/** Each user's saved note. */
const notes = new Map<string, string>();

export const load: ServerLoad = (event) => {
  const user = userOf(event);
  if (user === undefined) redirect(303, '/login?next=%2F');
  return { user, note: notes.get(user) ?? '', loadedAt: new Date().toISOString() };
};

export const actions: Actions = {
  save: async (event) => {
    const user = userOf(event);
    if (user === undefined) redirect(303, '/login?next=%2F');
    const note = String((await event.request.formData()).get('note') ?? '');
    notes.set(user, note);
    return { saved: note };
  },
  // Without JavaScript (with it, the page signs out through the browser client: every tab leaves).
  signOut: async (event) => {
    await event.locals.sessionSecurity.signOut(); // final, with Clear-Site-Data
    redirect(303, '/login?reason=logout');
  },
};
