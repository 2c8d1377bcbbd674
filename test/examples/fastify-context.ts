// What both Fastify preludes give the examples: the session's user, the secrets from the
// environment, and the options that read the user.

import type { FastifyRequest } from 'fastify';
import { SECRETS } from './context.js';

declare module 'fastify' {
  interface Session {
    user?: string;
  }
}

export const secret = SECRETS.SESSION_SECRET;
export const draftSecret = SECRETS.DRAFT_SECRET;
export const isAuthenticated = (request: FastifyRequest) =>
  typeof request.session.user === 'string';
export const userId = (request: FastifyRequest) => request.session.user ?? '';
