// README, Hono: the example mounts hono-sessions itself on `app`, a Hono app with no middleware
// yet; the rest is the Hono context (./hono.ts), whose hooks call the app's routes after it.

import { Hono } from 'hono';
import { honoHooks } from './hono.js';

export { draftSecret, isAuthenticated, userId } from './hono.js';
export const app = new Hono();
export const $example = honoHooks(app);
