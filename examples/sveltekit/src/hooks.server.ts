// The server hooks: session-security's handle first, in sequence() with the app's other hooks
// (here one that keeps the app's pages out of every cache, the back button's included, so that
// no page of a signed-out user is shown again).
import type { Handle } from '@sveltejs/kit';
import { sequence } from '@sveltejs/kit/hooks';
import { security } from './lib/server/security.js';

const pagesNotStored: Handle = async ({ event, resolve }) => {
  const response = await resolve(event);
  if (response.headers.get('content-type')?.startsWith('text/html')) {
    response.headers.set('cache-control', 'no-store');
  }
  return response;
};

export const handle = sequence(security.handle, pagesNotStored);
