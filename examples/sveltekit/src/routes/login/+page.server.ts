// The sign-in page's server side: why the visitor was sent here (`reason`), and the sign-in, a
// native form post: user "ada", any password.
import { type Actions, fail, redirect, type ServerLoad } from '@sveltejs/kit';
import { safeNextPath } from 'session-security/sveltekit';
import { openSession } from '../../lib/server/sessions.js';

export const load: ServerLoad = ({ url }) => ({
  next: safeNextPath(url.searchParams.get('next')) ?? '/',
  reason: url.searchParams.get('reason'),
});

export const actions: Actions = {
  default: async (event) => {
    const form = await event.request.formData();
    const user = String(form.get('user') ?? '');
    if (user !== 'ada' || String(form.get('password') ?? '') === '') {
      return fail(400, { wrong: true });
    }
    const session = openSession(event);
    await session.regenerate(); // a new id at sign-in: no session fixation
    await session.set('user', user);
    await event.locals.sessionSecurity.start(); // the sign-in's clock starts now
    redirect(303, safeNextPath(form.get('next')) ?? '/');
  },
};
