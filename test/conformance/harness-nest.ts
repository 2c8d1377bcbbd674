// The conformance harnesses for the NestJS module, on Nest's two platforms: Express with
// express-session (its MemoryStore, server-side) and Fastify with @fastify/session (its
// MemoryStore), each store guarded as the NestJS guide tells apps to. Every test route is a
// controller's handler, so each request meets the module's global guard as an app's would.
// Nest's body parsers are off: the handlers read their bodies themselves, after the guard, so a
// test can hold a request in flight past session-security (as a slow handler would be).

import type { IncomingMessage } from 'node:http';
import cookie from '@fastify/cookie';
import fastifySession, { type SessionStore } from '@fastify/session';
import {
  All,
  type ArgumentsHost,
  Catch,
  Controller,
  Get,
  Header,
  HttpCode,
  HttpException,
  type INestApplication,
  Inject,
  Module,
  NotFoundException,
  Post,
  Query,
  Req,
} from '@nestjs/common';
import { BaseExceptionFilter, NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import session from 'express-session';
import type { FastifyInstance, FastifyRequest, Session } from 'fastify';
import {
  guardSessionStore as guardExpressStore,
  storeUnavailableHandler,
} from 'session-security/express';
import { guardSessionStore as guardFastifyStore } from 'session-security/fastify';
import { SessionSecurity, SessionSecurityModule } from 'session-security/nestjs';
import { FakeClock } from '../support/http.js';
import {
  failingStore,
  type Harness,
  type HarnessOptions,
  signInAt,
  TEST_DRAFT_SECRET,
  testLock,
  testLogger,
} from './harness.js';

declare module 'express-session' {
  interface SessionData {
    user: string;
  }
}
declare module 'fastify' {
  interface Session {
    user?: string;
  }
}

type Platform = 'express' | 'fastify';

/** The session of a request on either platform, as the test routes use it. */
type AnyRequest = { session?: { user?: string } | null };

/** The Node request under a platform's request. */
const rawOf = (req: object): IncomingMessage =>
  ((req as { raw?: IncomingMessage }).raw ?? req) as IncomingMessage;

/** Reads a request's body as text (Nest's parsers are off). */
async function bodyText(req: object): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of rawOf(req)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function jsonField(req: object, name: string): Promise<unknown> {
  const text = await bodyText(req);
  return text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>)[name];
}

/** A new session for a sign-in, on either platform. */
async function regenerate(req: object): Promise<void> {
  const s = (req as { session: { regenerate(callback?: (error?: unknown) => void): unknown } })
    .session;
  if ('sessionId' in s) {
    await (s.regenerate() as Promise<void>);
    return;
  }
  await new Promise<void>((resolve, reject) =>
    s.regenerate((error) => (error ? reject(error) : resolve())),
  );
}

/** Sets the session's `user` (the lock's same-session sign-in). */
function setUser(req: AnyRequest, user: string): void {
  (req.session as { user?: string }).user = user;
}

/** Signs `user` in on a new session (regenerated), as `POST /test/sign-in` and the lock do. */
async function signInAs(req: AnyRequest, user: string): Promise<void> {
  await regenerate(req);
  (req.session as { user?: string }).user = user;
}

/**
 * The app's catch-all filter, as the NestJS guide shows one: the library's own exceptions are
 * handed to `security.replyTo` (Nest asks an app's global filter before the module's); others
 * are kept (they would be a 500) and answered as Nest does.
 */
function appErrorFilter(app: INestApplication, appErrors: unknown[]) {
  const security = app.get(SessionSecurity);
  @Catch()
  class AppErrors extends BaseExceptionFilter {
    override catch(exception: unknown, host: ArgumentsHost): void {
      if (security.replyTo(exception, host)) return;
      if (!(exception instanceof HttpException)) appErrors.push(exception);
      super.catch(exception, host);
    }
  }
  return new AppErrors(app.getHttpAdapter());
}

/**
 * The harness's controllers over one app's `SessionSecurity`; `work` is `POST /test/hold`'s
 * (HarnessOptions.work).
 */
function testControllers(
  platform: Platform,
  forms: { inFlight: number },
  work: () => Promise<unknown>,
) {
  @Controller()
  class TestRoutes {
    constructor(@Inject(SessionSecurity) private readonly security: SessionSecurity) {}

    @Post('test/sign-in')
    @HttpCode(200)
    async signIn(
      @Req() req: AnyRequest,
      @Query('user') user?: string,
      @Query('start') start?: string,
    ) {
      await signInAs(req, user ?? 'ada');
      if (start) await this.security.start(req);
      return { signedIn: true };
    }

    @Post('test/sign-in-same-session')
    @HttpCode(200)
    async signInSameSession(@Req() req: AnyRequest) {
      (req.session as { user?: string }).user = 'ada';
      await this.security.start(req);
      return { signedIn: true };
    }

    @Post('test/sign-out')
    @HttpCode(200)
    async signOut(@Req() req: object) {
      await this.security.signOut(req);
      return { signedOut: true };
    }

    @Post('test/forget-user')
    @HttpCode(200)
    forgetUser(@Req() req: AnyRequest) {
      delete (req.session as { user?: string }).user;
      return { signedOut: true };
    }

    @Get('test/sign-ins')
    list(@Req() req: object) {
      return this.security.signIns.list(req);
    }

    @Post('test/sign-ins/end')
    @HttpCode(200)
    async end(@Req() req: object) {
      const signIn = (await jsonField(req, 'signIn')) as string;
      return { ended: await this.security.signIns.end(req, signIn) };
    }

    @Post('test/sign-ins/end-all')
    @HttpCode(200)
    async endAll(@Req() req: object) {
      const keepCurrent = (await jsonField(req, 'keepCurrent')) === true;
      return { ended: await this.security.signIns.endAll(req, { keepCurrent }) };
    }

    @Post('test/sign-ins/end-user')
    @HttpCode(200)
    async endUser(@Req() req: object) {
      const userId = (await jsonField(req, 'userId')) as string;
      return { ended: await this.security.signIns.endUser(userId) };
    }

    @Post('test/sign-ins/end-everyone')
    @HttpCode(200)
    async endEveryone() {
      return { ended: await this.security.signIns.endEveryone() };
    }

    @Post('test/sign-ins/sweep')
    @HttpCode(200)
    async sweep() {
      return { expired: await this.security.signIns.sweep() };
    }

    // A refusal is thrown to Nest's filters: the module's answers it (`replyTo` in the app's).
    @Get('test/recent')
    recentGet(@Req() req: object, @Query('maxAge') maxAge?: string) {
      return this.recent(req, maxAge);
    }

    @Post('test/recent')
    @HttpCode(200)
    recentPost(@Req() req: object, @Query('maxAge') maxAge?: string) {
      return this.recent(req, maxAge);
    }

    private async recent(req: object, maxAge: string | undefined) {
      await this.security.requireRecentSignIn(req, Number(maxAge));
      return { recent: true };
    }

    // A refused lease is thrown to Nest's filters as well: `replyTo` answers it (401).
    @Post('test/hold')
    @HttpCode(200)
    async hold(@Req() req: object, @Query('maxSeconds') maxSeconds?: string) {
      const held = await this.security.hold(req, work, {
        maxSeconds: Number(maxSeconds),
        label: 'report',
      });
      return { held };
    }

    @Post('form')
    @HttpCode(200)
    async form(@Req() req: object) {
      // Past the guard, waiting for the rest of the body: a request in flight.
      forms.inFlight++;
      try {
        const note = new URLSearchParams(await bodyText(req)).get('note');
        return { note };
      } finally {
        forms.inFlight--;
      }
    }

    @Get()
    @Header('cache-control', 'no-store')
    @Header('content-type', 'text/html; charset=utf-8')
    home(@Req() req: AnyRequest) {
      const user = req.session?.user;
      return user ? `<p>hello ${user}</p>` : '<p>anonymous</p>';
    }

    @Get(['api/data', 'api/poll', 'events/stream'])
    data(@Req() req: AnyRequest) {
      return { user: req.session?.user ?? null };
    }

    @Get('test/page')
    @Header('content-type', 'text/html; charset=utf-8')
    page(
      @Req() req: object,
      @Query('lang') lang?: string,
      @Query('nonce') nonce?: string,
      @Query('script') script?: string,
    ) {
      return this.security.clientTags(req, {
        ...(lang !== undefined ? { lang } : {}),
        ...(nonce !== undefined ? { nonce } : {}),
        script: script !== 'false',
      });
    }
  }
  /**
   * Last, for any other path: a 404 that the guard sees first, as in an app with a fallback
   * route. Without one, a path no controller answers never meets the guard (the NestJS guide
   * says so, and test/integration/nestjs.test.ts shows it).
   */
  @Controller()
  class NotFound {
    // Each router's own wildcard: path-to-regexp's on Express, find-my-way's on Fastify.
    @All(platform === 'express' ? '{*rest}' : '*')
    none(): never {
      throw new NotFoundException();
    }
  }
  return [TestRoutes, NotFound];
}

/** The harness of the NestJS module on one of Nest's platforms. */
function nestHarness(platform: Platform): Harness {
  return {
    framework: `nestjs-${platform}`,
    stores: ['default', 'redis'],
    async start(options: HarnessOptions = {}) {
      const clock = new FakeClock();
      const logger = testLogger();
      const forms = { inFlight: 0 };
      const userOf = (req: unknown): string => (req as AnyRequest).session?.user ?? '';

      @Module({
        imports: [
          SessionSecurityModule.forRoot({
            expireAfter: 900,
            warnAfter: 780,
            isAuthenticated: (req: AnyRequest) => typeof req.session?.user === 'string',
            userId: userOf,
            draftSecret: TEST_DRAFT_SECRET,
            clock,
            logger,
            // No sweep timer: a closed test app's timer would go on sweeping with its own clock.
            sweepInterval: 0,
            ...(options.lock ? { lock: testLock(options.lock, signInAs, setUser) } : {}),
            ...options.security,
          }),
        ],
        controllers: testControllers(platform, forms, options.work ?? (async () => 'done')),
      })
      class AppModule {}

      const appErrors: unknown[] = [];
      let app: INestApplication;
      let sessionCount: () => Promise<number>;
      let signedInSessionCount: () => Promise<number>;
      if (platform === 'express') {
        app = await NestFactory.create(AppModule, {
          logger: false,
          bodyParser: false,
          abortOnError: false,
        });
        const memory = new session.MemoryStore();
        const store = guardExpressStore(
          options.sessionStoreFails
            ? failingStore(memory, options.sessionStoreFails, ['get', 'set', 'destroy', 'touch'])
            : memory,
          { timeout: 1000, logger },
        );
        const express = app.getHttpAdapter().getInstance();
        if (options.trustProxy) express.set('trust proxy', true);
        app.use(session({ secret: 'test secret', resave: false, saveUninitialized: false, store }));
        app.use(storeUnavailableHandler());
        const all = () =>
          new Promise<Record<string, { user?: string } | null | undefined>>((resolve, reject) =>
            memory.all((error: unknown, sessions) =>
              error ? reject(error) : resolve(sessions ?? {}),
            ),
          );
        sessionCount = async () => Object.keys(await all()).length;
        signedInSessionCount = async () =>
          Object.values(await all()).filter((data) => data?.user).length;
      } else {
        const adapter = new FastifyAdapter({ trustProxy: options.trustProxy === true });
        app = await NestFactory.create(AppModule, adapter, {
          logger: false,
          bodyParser: false,
          abortOnError: false,
        });
        const sessions = new Map<string, Session>();
        const memory = new fastifySession.MemoryStore(sessions);
        const store = guardFastifyStore(
          options.sessionStoreFails
            ? failingStore(memory as SessionStore, options.sessionStoreFails, [
                'get',
                'set',
                'destroy',
              ])
            : memory,
          { timeout: 1000, logger },
        );
        const fastify = app.getHttpAdapter().getInstance() as FastifyInstance;
        await fastify.register(cookie);
        await fastify.register(fastifySession, {
          secret: 'test secret that is at least 32 characters long',
          saveUninitialized: false,
          cookie: { secure: false },
          store,
        });
        // Every body is the handler's to read, after the guard.
        fastify.removeAllContentTypeParsers();
        fastify.addContentTypeParser('*', (_request: FastifyRequest, _payload, done) =>
          done(null, undefined),
        );
        sessionCount = async () => sessions.size;
        signedInSessionCount = async () =>
          [...sessions.values()].filter((data) => data.user !== undefined).length;
      }
      // biome-ignore lint/correctness/useHookAtTopLevel: Nest's method, not a React hook.
      app.useGlobalFilters(appErrorFilter(app, appErrors));
      await app.listen(0, '127.0.0.1');
      const server = app.getHttpServer() as import('node:http').Server;
      const address = server.address();
      if (address === null || typeof address === 'string') throw new Error('no TCP address');
      const origin = `http://127.0.0.1:${address.port}`;
      return {
        origin,
        clock,
        logger,
        appErrors,
        userOf,
        formsInFlight: () => forms.inFlight,
        sessionCount,
        signedInSessionCount,
        close: async () => {
          server.closeAllConnections();
          await app.close();
        },
        signIn: signInAt(origin),
      };
    },
  };
}

export const nestExpressHarness = nestHarness('express');
export const nestFastifyHarness = nestHarness('fastify');
