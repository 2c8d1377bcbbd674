// The two HTTP platforms of NestJS as session-security meets them: Express with express-session,
// and Fastify with @fastify/session. Each says how to bind a request to the lifecycle, where the
// library's own routes are answered (below Nest's router), how a reply is written and how a
// request is settled after its handler. The glue of the Express and Fastify adapters, reused.

import type { Request, Response } from 'express';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ResolvedOptions } from '../core/options.js';
import {
  expressFacts,
  expressMiddleware,
  sendExpressReply,
  settleBeforeEnd,
} from '../server/express.js';
import { ExpressSessionAccess } from '../server/express-session.js';
import {
  FastifySessionAccess,
  fastifyFacts,
  onRequestHook,
  sendReply,
  settleOnSend,
} from '../server/fastify-session.js';
import type { Lifecycle, RequestFacts, SessionAccess } from '../server/lifecycle.js';
import { pathOf } from '../server/node-facts.js';
import type { Reply } from '../server/outcome.js';

/** One request bound to the lifecycle. */
export interface Bound {
  facts: RequestFacts<object>;
  session: SessionAccess;
}

/** What the module needs of one platform. */
export interface Platform {
  readonly name: 'express' | 'fastify';
  /** The request's facts and session; `res` is the platform's response when it is known. */
  bind(req: object, res?: object): Bound;
  /**
   * Answers the library's own routes (`prefix`) below Nest's router, on the platform's instance,
   * and arranges the settling of requests that need it.
   */
  mount(instance: unknown): void;
  /** Writes the lifecycle's reply on the platform's response. */
  send(res: object, reply: Reply): void;
  /** Whether the response is already sent. */
  sent(res: object): boolean;
  /** Sets headers on a response. */
  setResponseHeaders(res: object, headers: Readonly<Record<string, string>>): void;
  /** Sets headers on the response of `req`, unless it is sent. */
  setHeaders(req: object, headers: Readonly<Record<string, string>>): void;
  /**
   * For a request the guard let through: the clock of a sign-in made by its handler without
   * `start` is started after the handler, before the session is saved.
   */
  afterHandler(bound: Bound, res: object): void;
}

/** Whether `path` is one of the library's routes. */
function routeOf(prefix: string): (path: string) => boolean {
  return (path) => path === prefix || path.startsWith(`${prefix}/`);
}

/** Express (the default platform of NestJS) with express-session, mounted in main.ts. */
export function expressPlatform(
  lifecycle: Lifecycle<object>,
  options: ResolvedOptions<object>,
): Platform {
  const typed = lifecycle as unknown as Lifecycle<Request>;
  const access = (req: Request): SessionAccess =>
    new ExpressSessionAccess(req, options.logout as ((req: Request) => void) | undefined);
  const isRoute = routeOf(options.prefix);
  return {
    name: 'express',
    bind: (req) => ({
      facts: expressFacts(req as Request) as RequestFacts<object>,
      session: access(req as Request),
    }),
    mount(instance) {
      const routes = expressMiddleware(typed, access);
      // Added once the app's routes are, so below them: a request under the prefix, which no
      // route of the app answers, reaches it. express-session (main.ts) and Nest's body parsers
      // ran before it; the ping reads the parsed body.
      (instance as { use(handler: unknown): void }).use(
        (req: Request, res: Response, next: (error?: unknown) => void) => {
          if (isRoute(req.path)) routes(req, res, next);
          else next();
        },
      );
    },
    send: (res, reply) => sendExpressReply(res as Response, reply),
    sent: (res) => (res as Response).headersSent,
    setResponseHeaders: (res, headers) => void (res as Response).set(headers),
    setHeaders(req, headers) {
      const res = (req as Request).res;
      if (res && !res.headersSent) res.set(headers);
    },
    afterHandler(bound, res) {
      if (lifecycle.settles(bound.session)) {
        settleBeforeEnd(res as Response, () => lifecycle.settle(bound.facts, bound.session));
      }
    },
  };
}

/** Fastify with @fastify/session (its store on the server), registered in main.ts. */
export function fastifyPlatform(
  lifecycle: Lifecycle<object>,
  options: ResolvedOptions<object>,
): Platform {
  const typed = lifecycle as unknown as Lifecycle<FastifyRequest>;
  /** The reply of each request the guard saw, for `signOut(request)` to clear its cookie. */
  const replies = new WeakMap<object, FastifyReply>();
  const access = (request: FastifyRequest, reply?: FastifyReply): SessionAccess =>
    new FastifySessionAccess(
      request,
      reply ?? replies.get(request),
      options.logout as ((request: FastifyRequest) => void) | undefined,
    );
  const isRoute = routeOf(options.prefix);
  return {
    name: 'fastify',
    bind(req, res) {
      if (res !== undefined) replies.set(req, res as FastifyReply);
      return {
        facts: fastifyFacts(req as FastifyRequest) as RequestFacts<object>,
        session: access(req as FastifyRequest, res as FastifyReply | undefined),
      };
    },
    mount(instance) {
      const app = instance as FastifyInstance;
      const routes = onRequestHook(typed, access);
      // After @fastify/session's own onRequest hook (main.ts registered it first) and before
      // Fastify reads any body: the library's checks keep their order.
      app.addHook('onRequest', (request, reply, done) => {
        if (isRoute(pathOf(request.url))) routes(request, reply, done);
        else done();
      });
      app.addHook('onSend', settleOnSend(typed, access));
    },
    send: (res, reply) => sendReply(res as FastifyReply, reply),
    sent: (res) => (res as FastifyReply).sent,
    setResponseHeaders: (res, headers) => void (res as FastifyReply).headers(headers),
    setHeaders(req, headers) {
      const reply = replies.get(req);
      if (reply && !reply.sent) reply.headers(headers);
    },
    // The onSend hook of mount settles every request.
    afterHandler() {},
  };
}
