// better-auth's HTTP API under /api/auth/* (sign-up, sign-in, get-session, sign-out, ...).
import { toNextJsHandler } from 'better-auth/next-js';
import { auth } from '../../../../lib/auth.js';

export const { GET, POST } = toNextJsHandler(auth);
