// The NestJS module where Nest decides something itself, on both of its platforms (the protocol
// and the policy are the conformance suite's: test/conformance/harness-nest.ts): `@Passive()`
// on a handler and on a controller, a path no controller answers (never seen by the guard), the
// guard applied by hand, `forRootAsync`, Nest's own body parsers before a ping, an app's
// catch-all exception filter, and the errors of a module used where it cannot work.

import cookie from '@fastify/cookie';
import fastifySession from '@fastify/session';
import {
  type ArgumentsHost,
  Catch,
  Controller,
  Get,
  HttpCode,
  type INestApplication,
  Inject,
  Module,
  type ModuleMetadata,
  Post,
  Req,
  UseGuards,
} from '@nestjs/common';
import { BaseExceptionFilter, NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import session from 'express-session';
import type { FastifyInstance } from 'fastify';
import { LeaseRefusedError } from 'session-security';
import {
  Passive,
  SessionSecurity,
  SessionSecurityConfigError,
  SessionSecurityGuard,
  SessionSecurityModule,
  type SessionSecurityModuleOptions,
} from 'session-security/nestjs';
import { afterEach, describe, expect, it } from 'vitest';
import { deferred } from '../support/deferred.js';
import { CookieJar, FakeClock, NAVIGATE, SAME_ORIGIN_FETCH, send } from '../support/http.js';

type Platform = 'express' | 'fastify';
type AnyRequest = { session?: { user?: string } | null };

const isAuthenticated = (req: AnyRequest) => typeof req.session?.user === 'string';

@Controller()
class Routes {
  constructor(@Inject(SessionSecurity) private readonly security: SessionSecurity) {}
  @Post('sign-in')
  @HttpCode(200)
  async signIn(@Req() req: AnyRequest) {
    (req.session as { user?: string }).user = 'ada';
    await this.security.start(req);
    return { signedIn: true };
  }
  @Get('work')
  work() {
    return { worked: true };
  }
  @Get('poll')
  @Passive()
  poll() {
    return { polled: true };
  }
}

@Controller('badge')
@Passive()
class Badge {
  @Get()
  count() {
    return { unread: 1 };
  }
}

@Controller('guarded')
@UseGuards(SessionSecurityGuard)
class Guarded {
  @Get()
  page() {
    return { guarded: true };
  }
}

let app: INestApplication | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

/** A Nest app on `platform` with its session library, started on 127.0.0.1. */
async function start(
  platform: Platform,
  imports: ModuleMetadata['imports'],
  controllers: ModuleMetadata['controllers'] = [Routes, Badge],
  before: (app: INestApplication) => void = () => {},
): Promise<{ origin: string; app: INestApplication }> {
  @Module({ imports, controllers })
  class AppModule {}
  const options = { logger: false as const, abortOnError: false };
  if (platform === 'express') {
    app = await NestFactory.create(AppModule, options);
    app.use(session({ secret: 'test secret', resave: false, saveUninitialized: false }));
  } else {
    app = await NestFactory.create(AppModule, new FastifyAdapter(), options);
    const fastify = app.getHttpAdapter().getInstance() as FastifyInstance;
    await fastify.register(cookie);
    await fastify.register(fastifySession, {
      secret: 'test secret that is at least 32 characters long',
      saveUninitialized: false,
      cookie: { secure: false },
    });
  }
  before(app);
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as { port: number };
  return { origin: `http://127.0.0.1:${port}`, app };
}

const module = (clock: FakeClock, more: Partial<SessionSecurityModuleOptions<AnyRequest>> = {}) =>
  SessionSecurityModule.forRoot<AnyRequest>({
    expireAfter: 100,
    warnAfter: 50,
    drafts: false,
    sweepInterval: 0,
    clock,
    isAuthenticated,
    logger: { warn: () => {}, error: () => {} },
    ...more,
  });

/** Signs in; the jar and the ping's `idleFor`. */
async function signedIn(origin: string) {
  const jar = new CookieJar();
  expect((await send(origin, '/sign-in', { method: 'POST' }, jar)).status).toBe(200);
  const idleFor = async () => {
    const ping = await send(origin, '/session-security/ping', { headers: SAME_ORIGIN_FETCH }, jar);
    return (ping.json as { idleFor?: number; status: string }).idleFor ?? ping.status;
  };
  return { jar, idleFor };
}

describe.each(['express', 'fastify'] as const)('the NestJS module on %s', (platform) => {
  it('counts a handler, and not one marked @Passive() or in a @Passive() controller', async () => {
    const clock = new FakeClock();
    const { origin } = await start(platform, [module(clock)]);
    const { jar, idleFor } = await signedIn(origin);
    clock.advance(30);
    for (const path of ['/poll', '/badge']) {
      expect((await send(origin, path, { headers: SAME_ORIGIN_FETCH }, jar)).status).toBe(200);
    }
    expect(await idleFor()).toBe(30);
    expect((await send(origin, '/work', { headers: SAME_ORIGIN_FETCH }, jar)).status).toBe(200);
    expect(await idleFor()).toBe(0);
    // Passive requests are refused once the sign-in is over, like any other.
    clock.advance(100);
    const refused = await send(origin, '/poll', { headers: SAME_ORIGIN_FETCH }, jar);
    expect(refused.status).toBe(401);
    expect(refused.json).toEqual({ status: 'expired', reason: 'idle' });
  });

  it('redirects an expired page load 303 to the login page with next and reason', async () => {
    const clock = new FakeClock();
    const { origin } = await start(platform, [module(clock, { loginUrl: '/login' })]);
    const { jar } = await signedIn(origin);
    clock.advance(101);
    const page = await send(origin, '/work?tab=2', { headers: NAVIGATE }, jar);
    expect(page.status).toBe(303);
    expect(page.headers.location).toBe('/login?next=%2Fwork%3Ftab%3D2&reason=idle');
    expect(page.headers['cache-control']).toBe('no-store');
  });

  it('never sees a path no controller answers: a 404 that moves no clock and refuses nothing', async () => {
    const clock = new FakeClock();
    const { origin } = await start(platform, [module(clock)]);
    const { jar, idleFor } = await signedIn(origin);
    clock.advance(40);
    expect((await send(origin, '/nowhere', { headers: SAME_ORIGIN_FETCH }, jar)).status).toBe(404);
    expect(await idleFor()).toBe(40);
    clock.advance(70);
    // Past expiry: still Nest's 404, not the library's 401 (the guide says so).
    expect((await send(origin, '/nowhere', { headers: SAME_ORIGIN_FETCH }, jar)).status).toBe(404);
  });

  it("reads a ping's body that Nest's own body parser already read", async () => {
    const clock = new FakeClock();
    const { origin } = await start(platform, [module(clock)]);
    const { jar, idleFor } = await signedIn(origin);
    clock.advance(40);
    const ping = await send(
      origin,
      '/session-security/ping',
      {
        method: 'POST',
        headers: { ...SAME_ORIGIN_FETCH, 'content-type': 'application/json' },
        body: '{"sinceActivity":10}',
      },
      jar,
    );
    expect(ping.status).toBe(200);
    expect(await idleFor()).toBe(10);
  });

  it("with guard: 'manual', sees only the controllers that use the guard", async () => {
    const clock = new FakeClock();
    const { origin } = await start(
      platform,
      [module(clock, { guard: 'manual' })],
      [Routes, Guarded],
    );
    const { jar, idleFor } = await signedIn(origin);
    clock.advance(30);
    expect((await send(origin, '/work', { headers: SAME_ORIGIN_FETCH }, jar)).status).toBe(200);
    expect(await idleFor()).toBe(30); // not seen
    expect((await send(origin, '/guarded', { headers: SAME_ORIGIN_FETCH }, jar)).status).toBe(200);
    expect(await idleFor()).toBe(0);
    clock.advance(101);
    expect((await send(origin, '/guarded', { headers: SAME_ORIGIN_FETCH }, jar)).status).toBe(401);
  });

  it('takes its options from a forRootAsync factory with what it injects', async () => {
    const clock = new FakeClock();
    const timeouts = { provide: 'TIMEOUTS', useValue: { idle: 20 } };
    @Module({ providers: [timeouts], exports: [timeouts] })
    class TimeoutsModule {}
    const { origin } = await start(platform, [
      SessionSecurityModule.forRootAsync({
        imports: [TimeoutsModule],
        inject: ['TIMEOUTS'],
        useFactory: async (given: { idle: number }) => ({
          expireAfter: given.idle,
          warnAfter: 10,
          drafts: false,
          clock,
          isAuthenticated,
        }),
      }),
    ]);
    const { jar } = await signedIn(origin);
    clock.advance(21);
    expect((await send(origin, '/work', { headers: SAME_ORIGIN_FETCH }, jar)).status).toBe(401);
  });

  it("keeps the reply's status and headers through an app's catch-all filter", async () => {
    const clock = new FakeClock();
    // A filter of the app's that knows nothing of the library (no replyTo): Nest asks it first.
    @Catch()
    class Everything extends BaseExceptionFilter {
      override catch(exception: unknown, host: ArgumentsHost) {
        caught.push(exception);
        super.catch(exception, host);
      }
    }
    const caught: unknown[] = [];
    const { origin } = await start(
      platform,
      [module(clock, { loginUrl: '/login' })],
      [Routes],
      (app) => app.useGlobalFilters(new Everything(app.getHttpAdapter())),
    );
    const { jar } = await signedIn(origin);
    clock.advance(101);
    const page = await send(origin, '/work', { headers: NAVIGATE }, jar);
    expect(page.status).toBe(303);
    expect(page.headers.location).toBe('/login?next=%2Fwork&reason=idle');
    expect(caught).toHaveLength(1);
  });
});

describe('the NestJS module where it cannot work', () => {
  it('refuses a guard setting it does not know', () => {
    expect(() =>
      SessionSecurityModule.forRoot({ isAuthenticated, guard: 'everywhere' as 'global' }),
    ).toThrow(SessionSecurityConfigError);
  });

  it('refuses to start in an app without an HTTP server, naming why', async () => {
    @Module({ imports: [module(new FakeClock())] })
    class NoHttp {}
    await expect(
      NestFactory.createApplicationContext(NoHttp, { logger: false, abortOnError: false }),
    ).rejects.toThrow(/Express or Fastify platform/);
  });
});

describe.each(['express', 'fastify'] as const)('SessionSecurity.hold on %s', (platform) => {
  /** Work the test settles by hand. */
  let work = deferred<string>();

  @Controller('reports')
  class Reports {
    constructor(@Inject(SessionSecurity) private readonly security: SessionSecurity) {}
    @Post()
    @HttpCode(200)
    async build(@Req() req: AnyRequest) {
      const report = await this.security.hold(req, work.promise, { maxSeconds: 3600 });
      return { report };
    }
  }

  it('keeps the sign-in alive past expireAfter while the work runs, and idle time counts from its end', async () => {
    const clock = new FakeClock();
    const events: string[] = [];
    const onEvent = (event: { type: string }) => void events.push(event.type);
    const { origin } = await start(platform, [module(clock, { onEvent })], [Routes, Reports]);
    const { jar, idleFor } = await signedIn(origin);
    work = deferred<string>();
    const answer = send(origin, '/reports', { method: 'POST', headers: SAME_ORIGIN_FETCH }, jar);
    await expect.poll(() => events.includes('lease-held')).toBe(true);
    clock.advance(300); // past expireAfter (100 s)
    expect(await idleFor()).toBe(0);
    work.resolve('done');
    const report = await answer;
    expect(report.status).toBe(200);
    expect(report.json).toEqual({ report: 'done' });
    clock.advance(99);
    expect(await idleFor()).toBe(99);
    clock.advance(1); // 100 s after the work settled
    expect(await idleFor()).toBe(401);
  });

  it('answers an anonymous request 401 through the module filter (a LeaseRefusedError)', async () => {
    const clock = new FakeClock();
    const { origin } = await start(platform, [module(clock)], [Routes, Reports]);
    work = deferred<string>();
    work.resolve('not for an anonymous request');
    const anonymous = await send(origin, '/reports', {
      method: 'POST',
      headers: SAME_ORIGIN_FETCH,
    });
    expect(anonymous.status).toBe(401);
    expect(anonymous.json).toEqual({
      status: 'error',
      error: new LeaseRefusedError('no-sign-in').message,
    });
  });
});
