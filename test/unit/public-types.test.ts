// The public API, as an app and an adapter author write against it: the types (checked by the
// compiler: `npm run lint` type-checks the tests; at run time these assertions do nothing), and
// the values each entry exports.

import type { Request as ExpressRequest, RequestHandler } from 'express';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Context as HonoContext, MiddlewareHandler } from 'hono';
import type { Context as KoaContext } from 'koa';
import type { SessionSecurityOptions, SignInManagement, SignInSummary } from 'session-security';
import type {
  Lifecycle,
  Outcome,
  Reply,
  RequestFacts,
  SessionAccess,
  SessionSecurityMethods,
} from 'session-security/adapter';
import { createLifecycle } from 'session-security/adapter';
import type { sessionSecurity as expressSecurity } from 'session-security/express';
import type { sessionSecurity as fastifySecurity } from 'session-security/fastify';
import type { sessionSecurity as honoSecurity } from 'session-security/hono';
import type { sessionSecurity as koaSecurity } from 'session-security/koa';
import type { sessionSecurityHandler, WebSession } from 'session-security/web';
import { describe, expect, expectTypeOf, it } from 'vitest';

describe('the public types', () => {
  it('options: isAuthenticated is required, of the framework request', () => {
    expectTypeOf<{ expireAfter: 900 }>().not.toExtend<SessionSecurityOptions<ExpressRequest>>();
    expectTypeOf<{
      isAuthenticated: (req: ExpressRequest) => boolean;
    }>().toExtend<SessionSecurityOptions<ExpressRequest>>();
    expectTypeOf<SessionSecurityOptions<ExpressRequest>['isAuthenticated']>()
      .parameter(0)
      .toEqualTypeOf<ExpressRequest>();
  });

  it("a user's sign-ins: the summary and the management over the framework's request", () => {
    expectTypeOf<SignInSummary>().toEqualTypeOf<{
      signIn: string;
      startedAt: number;
      lastActiveAt: number;
      device: string;
      current: boolean;
    }>();
    expectTypeOf<SignInManagement<ExpressRequest>['list']>().returns.toEqualTypeOf<
      Promise<SignInSummary[]>
    >();
    expectTypeOf<SignInManagement<ExpressRequest>['endAll']>().returns.toEqualTypeOf<
      Promise<number>
    >();
  });

  it('every adapter: its middleware, and the same methods over its own request', () => {
    type Express = ReturnType<typeof expressSecurity>;
    expectTypeOf<Express>().toExtend<RequestHandler>();
    expectTypeOf<Express>().toExtend<SessionSecurityMethods<ExpressRequest>>();
    expectTypeOf<Express['signOut']>().toEqualTypeOf<(req: ExpressRequest) => Promise<void>>();

    type Fastify = ReturnType<typeof fastifySecurity>;
    expectTypeOf<Fastify>().toExtend<SessionSecurityMethods<FastifyRequest>>();
    expectTypeOf<Fastify['signOut']>().toEqualTypeOf<
      (request: FastifyRequest, reply: FastifyReply) => Promise<void>
    >();

    type Koa = ReturnType<typeof koaSecurity>;
    expectTypeOf<Koa>().toExtend<SessionSecurityMethods<KoaContext>>();

    type Hono = ReturnType<typeof honoSecurity>;
    expectTypeOf<Hono>().toExtend<MiddlewareHandler>();
    expectTypeOf<Hono['start']>().toEqualTypeOf<(c: HonoContext) => Promise<void>>();
    expectTypeOf<Hono['clientTags']>().returns.toEqualTypeOf<string>();

    expectTypeOf<WebSession['unavailable']>().toEqualTypeOf<boolean | undefined>();
    type Handler = ReturnType<typeof sessionSecurityHandler>;
    expectTypeOf<Handler['check']>().returns.toEqualTypeOf<Promise<Response | undefined>>();
    expectTypeOf<Handler['signOut']>().returns.toEqualTypeOf<Promise<Headers>>();
  });

  it('the adapter kit: a lifecycle over any request type, answering in one shape', () => {
    type Req = { user?: string };
    expectTypeOf(createLifecycle<Req>).returns.toEqualTypeOf<Lifecycle<Req>>();
    expectTypeOf<Lifecycle<Req>['handle']>().returns.toEqualTypeOf<Outcome | Promise<Outcome>>();
    expectTypeOf<Lifecycle<Req>['handle']>().parameters.toEqualTypeOf<
      [RequestFacts<Req>, SessionAccess]
    >();
    expectTypeOf<Outcome>().toEqualTypeOf<{ readonly kind: 'next' } | Reply>();
    expectTypeOf<Reply['body']>().toEqualTypeOf<string | Uint8Array | null>();
    expectTypeOf<Reply['headers']>().toEqualTypeOf<Readonly<Record<string, string>>>();
    expectTypeOf<Lifecycle<Req>['signOut']>().returns.toEqualTypeOf<
      Promise<Readonly<Record<string, string>>>
    >();
  });

  it('the values each entry exports, on purpose: what apps use at the root, what adapter authors use in ./adapter', async () => {
    const root = await import('session-security');
    expect(Object.keys(root).sort()).toEqual([
      'DEFAULT_EXPIRE_AFTER_SECONDS',
      'DEFAULT_PREFIX',
      'LeaseRefusedError',
      'PRESETS',
      'RecentSignInRequiredError',
      'SessionSecurityConfigError',
      'SessionSecurityError',
      'SessionSecurityRequestError',
      'SessionStoreUnavailableError',
      'SignInRefusedError',
      'defaultWarnAfter',
      'describeEvent',
      'describePolicy',
      'resolveOptions',
      'safeNextPath',
      'systemClock',
    ]);
    const adapter = await import('session-security/adapter');
    expect(Object.keys(adapter).sort()).toEqual([
      'NodeFacts',
      'appMethods',
      'bodyParsedEarlier',
      'createLifecycle',
      'errorReply',
      'nodeHeaderGetter',
      'nodeRequestFacts',
      'originOf',
      'pathOf',
      'readNodeBody',
      'resolveOptions',
    ]);
    const web = await import('session-security/web');
    expect(Object.keys(web).sort()).toEqual([
      'LeaseRefusedError',
      'SessionSecurityConfigError',
      'SessionSecurityError',
      'SessionSecurityRequestError',
      'SessionStoreUnavailableError',
      'SignInRefusedError',
      'errorResponse',
      'sessionSecurityHandler',
    ]);
    const hono = await import('session-security/hono');
    expect(Object.keys(hono).sort()).toEqual([
      'SessionSecurityRequestError',
      'SessionStoreUnavailableError',
      'errorResponse',
      'guardSessionStore',
      'honoSessions',
      'sessionSecurity',
    ]);
  });
});
