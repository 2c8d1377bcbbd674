// session-security/nestjs: the NestJS module (NestJS 11, on its Express or its Fastify platform).
// A global guard applies the policy to every request a controller answers, where the handler is
// known (`@Passive()`); the library's own routes are answered below Nest's router. Written
// without decorator syntax, so that the package needs no compiler flag of the app's.

import {
  type ArgumentsHost,
  type CanActivate,
  Catch,
  type CustomDecorator,
  type DynamicModule,
  type ExceptionFilter,
  type ExecutionContext,
  type FactoryProvider,
  HttpException,
  Inject,
  Injectable,
  type ModuleMetadata,
  type OnModuleInit,
  SetMetadata,
} from '@nestjs/common';
import { APP_FILTER, APP_GUARD, HttpAdapterHost, Reflector } from '@nestjs/core';
import {
  SessionSecurityConfigError,
  SessionSecurityRequestError,
  SessionStoreUnavailableError,
} from '../core/errors.js';
import {
  type ResolvedOptions,
  resolveOptions,
  type SessionSecurityOptions,
} from '../core/options.js';
import type { ClientTagsOptions } from '../server/html.js';
import type { HoldOptions } from '../server/lifecycle/leases.js';
import { createLifecycle, type Lifecycle, type SignInManagement } from '../server/lifecycle.js';
import { isPromise } from '../server/maybe.js';
import { nodeHeaderGetter } from '../server/node-facts.js';
import { errorReply, type Reply } from '../server/outcome.js';
import { expressPlatform, fastifyPlatform, type Platform } from './platforms.js';

export {
  SessionSecurityConfigError,
  SessionSecurityError,
  SessionSecurityRequestError,
  SessionStoreUnavailableError,
  SignInRefusedError,
} from '../core/errors.js';
export type { SessionSecurityOptions } from '../core/options.js';
export type { ClientTagsOptions } from '../server/html.js';
export type { SignInManagement, SignInSummary } from '../server/lifecycle.js';

/** The metadata key of {@link Passive}. */
export const PASSIVE_METADATA = 'session-security:passive';

/**
 * Marks a handler (or every handler of a controller) as passive: its requests are refused once
 * the sign-in is over, like any other, but keep nothing alive (a status poll, a badge count, a
 * dashboard's refresh).
 *
 * @example
 * ```ts
 * @Controller('notifications')
 * class NotificationsController {
 *   @Get('count')
 *   @Passive() // polled every 30 s by the page: not the user's activity
 *   count() {
 *     return { unread: 3 };
 *   }
 * }
 * ```
 */
export function Passive(): CustomDecorator<string> {
  return SetMetadata(PASSIVE_METADATA, true);
}

/**
 * How the module is applied, besides the options of docs/guide/options.md.
 *
 * @example
 * ```ts
 * SessionSecurityModule.forRoot({ isAuthenticated, guard: 'manual' });
 * ```
 */
export interface SessionSecurityModuleExtras {
  /**
   * `'global'` (the default): the guard is the app's first global guard (`APP_GUARD`), for every
   * controller. `'manual'`: the app puts {@link SessionSecurityGuard} where it wants it
   * (`@UseGuards(SessionSecurityGuard)`); requests of other controllers are not seen at all.
   */
  guard?: 'global' | 'manual';
}

/**
 * The module's options: those of docs/guide/options.md over the platform's request (Express's
 * `Request`, or Fastify's `FastifyRequest`), `isAuthenticated` required.
 *
 * @example
 * ```ts
 * const options: SessionSecurityModuleOptions<Request> = {
 *   expireAfter: 900,
 *   loginUrl: '/login',
 *   isAuthenticated: (req) => Boolean(req.session.user),
 * };
 * ```
 */
export type SessionSecurityModuleOptions<Req extends object = object> =
  SessionSecurityOptions<Req> & SessionSecurityModuleExtras;

/** The guard's way in to a SessionSecurity's decision, kept out of its public surface. */
type Decide = (req: object, res: object, passive: boolean) => Promise<Reply | undefined>;
const decisions = new WeakMap<SessionSecurity, Decide>();

/** The token of the options given to `forRoot` or made by `forRootAsync`'s factory. */
const OPTIONS = Symbol('session-security options');

/**
 * What a controller calls: start the clock at sign-in, sign out, the client's tags for a page, a
 * user's sign-ins, a lease that holds the sign-in while work the user started runs. Injected by its class, with an explicit token (no `emitDecoratorMetadata`
 * needed): `@Inject(SessionSecurity) private readonly security: SessionSecurity`.
 *
 * @example
 * ```ts
 * @Controller()
 * class LoginController {
 *   constructor(@Inject(SessionSecurity) private readonly security: SessionSecurity) {}
 *
 *   @Post('login')
 *   async login(@Req() req: Request, @Res() res: Response) {
 *     req.session.user = 'ada';
 *     await this.security.start(req);
 *     res.redirect(303, '/');
 *   }
 * }
 * ```
 */
export class SessionSecurity implements OnModuleInit {
  readonly #lifecycle: Lifecycle<object>;
  readonly #options: ResolvedOptions<object>;
  /** Requests whose handler is marked `@Passive()`, told to the lifecycle as a passive rule. */
  readonly #passive = new WeakSet<object>();
  #platform: Platform | undefined;

  /**
   * The signed-in user's sign-ins: list them, end one or all ("sign out everywhere"), end every
   * sign-in of a user or of everyone. Needs the `userId` option.
   *
   * @example
   * ```ts
   * const mine = await security.signIns.list(req); // [{ signIn, startedAt, lastActiveAt, device, current }]
   * await security.signIns.endAll(req, { keepCurrent: true });
   * ```
   */
  readonly signIns: SignInManagement<object>;

  constructor(
    options: SessionSecurityModuleOptions<object>,
    private readonly adapterHost: HttpAdapterHost,
  ) {
    const { guard: _guard, ...securityOptions } = options;
    const passive = this.#passive;
    this.#options = resolveOptions({
      ...securityOptions,
      passive: [...(securityOptions.passive ?? []), (req: object) => passive.has(req)],
    });
    this.#lifecycle = createLifecycle(this.#options);
    this.signIns = this.#lifecycle.signIns((req: object) => {
      const { facts, session } = this.#platformNow().bind(req);
      return { req, facts, session };
    });
    decisions.set(this, (req, res, passive) => this.#decide(req, res, passive));
  }

  /** Nest calls it once the app's routes are registered: the library's routes go below them. */
  onModuleInit(): void {
    const adapter = this.adapterHost.httpAdapter;
    const type = adapter?.getType();
    if (type === 'express') this.#platform = expressPlatform(this.#lifecycle, this.#options);
    else if (type === 'fastify') this.#platform = fastifyPlatform(this.#lifecycle, this.#options);
    else {
      throw new SessionSecurityConfigError(
        'platform',
        `session-security/nestjs runs on Nest's Express or Fastify platform, not on ${type === undefined ? 'an application without an HTTP server' : `"${type}"`}`,
      );
    }
    this.#platform.mount(adapter.getInstance());
  }

  /** The platform, once the app is initialised. */
  #platformNow(): Platform {
    if (this.#platform === undefined) {
      throw new SessionSecurityConfigError(
        'platform',
        'session-security/nestjs is used before the app is initialised (app.init() or app.listen())',
      );
    }
    return this.#platform;
  }

  /**
   * Starts a fresh inactivity clock for a new sign-in, in the sign-in's handler. Rejects with a
   * `SignInRefusedError` when a limit refuses it, and a `SessionStoreUnavailableError` (503) when
   * the store failed.
   *
   * @example
   * ```ts
   * req.session.user = 'ada';
   * await security.start(req);
   * ```
   */
  start(req: object): Promise<void> {
    const { facts, session } = this.#platformNow().bind(req);
    return this.#lifecycle.start(facts, session);
  }

  /**
   * Signs the user out for good, from the app's sign-out handler: ends the session (the
   * `logout` hook, or the session library's destroy), remembers the sign-in as ended so that no
   * request in flight can save it back, clears the session cookie and sets `Clear-Site-Data`
   * (`clearSiteData`) on the response. A request another origin made is refused with a
   * `SessionSecurityRequestError` (403), and nothing is ended.
   *
   * @example
   * ```ts
   * await security.signOut(req);
   * res.redirect(303, '/login');
   * ```
   */
  async signOut(req: object): Promise<void> {
    const { facts, session } = this.#platformNow().bind(req);
    const headers = await this.#lifecycle.signOut(facts, session);
    this.#platformNow().setHeaders(req, headers);
  }

  /**
   * Asks for a recent sign-in before what matters (a password change, a payment): rejects with
   * a `RecentSignInRequiredError` when the request's sign-in began `maxAge` seconds ago or more,
   * which the module's filter answers with a 303 to the login page (`reason=reauth`) for a page
   * load and `401 {"status":"reauth"}` otherwise (the browser client's `security.fetch` then
   * signs in again in place and retries).
   *
   * @example
   * ```ts
   * await security.requireRecentSignIn(req, 300); // signed in less than 5 minutes ago
   * ```
   */
  async requireRecentSignIn(req: object, maxAge: number): Promise<void> {
    const { facts, session } = this.#platformNow().bind(req);
    await this.#lifecycle.requireRecentSignIn(facts, session, maxAge);
  }

  /**
   * Holds the request's sign-in while `work` runs (an import, a report the user asked for): a
   * lease, kept in the store, that ends when the work settles and lasts `maxSeconds` at most. It
   * is not the user's input: it never passes the absolute timeout, a sign-out ends it, and idle
   * time counts from its end. Pass a function to have it called once the lease is taken.
   * Resolves or rejects as the work does; rejects with a `LeaseRefusedError` when the request has
   * no live sign-in (401) or holds 16 leases already (429), and a `SessionStoreUnavailableError`
   * (503) when the store failed, which the module's filter answers.
   *
   * @example
   * ```ts
   * const buildReport = async () => ({ rows: 1280 });
   * const report = await security.hold(req, buildReport, { maxSeconds: 1800, label: 'report' });
   * ```
   */
  hold<T>(req: object, work: Promise<T> | (() => Promise<T>), options: HoldOptions): Promise<T> {
    const { facts, session } = this.#platformNow().bind(req);
    return this.#lifecycle.hold(facts, session, work, options);
  }

  /**
   * The browser client's tags for a page of a signed-in session (stylesheet, JSON config,
   * deferred script); `''` for an anonymous request.
   *
   * @example
   * ```ts
   * const head = security.clientTags(req, { lang: 'en' });
   * ```
   */
  clientTags(req: object, options?: ClientTagsOptions): string {
    return this.#lifecycle.clientTags(req, this.#platformNow().bind(req).session, options);
  }

  /**
   * The guard's decision for one request: undefined to go on; otherwise the reply to send
   * instead, whose headers are already set on the response.
   */
  async #decide(req: object, res: object, passive: boolean): Promise<Reply | undefined> {
    const platform = this.#platformNow();
    if (passive) this.#passive.add(req);
    const bound = platform.bind(req, res);
    const decided = this.#lifecycle.handle(bound.facts, bound.session);
    const outcome = isPromise(decided) ? await decided : decided;
    if (outcome.kind === 'next') {
      platform.afterHandler(bound, res);
      return undefined;
    }
    platform.setResponseHeaders(res, outcome.headers);
    return outcome;
  }

  /**
   * Sends the library's answer when `exception` is one of its own: the guard's
   * {@link SessionSecurityReply}, a {@link SessionStoreUnavailableError} (503) or a
   * {@link SessionSecurityRequestError} (403 from `signOut`, 401 from `signIns`). For a catch-all
   * exception filter of the app's, which Nest asks before the module's own.
   *
   * @returns whether it answered
   * @example
   * ```ts
   * @Catch()
   * class EverythingFilter extends BaseExceptionFilter {
   *   constructor(@Inject(SessionSecurity) private readonly security: SessionSecurity) {
   *     super();
   *   }
   *   override catch(exception: unknown, host: ArgumentsHost) {
   *     if (this.security.replyTo(exception, host)) return;
   *     super.catch(exception, host); // the app's own handling
   *   }
   * }
   * ```
   */
  replyTo(exception: unknown, host: ArgumentsHost): boolean {
    const http = host.switchToHttp();
    const res = http.getResponse<object>();
    const platform = this.#platformNow();
    let reply: Reply | undefined;
    if (exception instanceof SessionSecurityReply) reply = exception.reply;
    else {
      const req = http.getRequest<{ headers: Record<string, string | string[] | undefined> }>();
      reply = errorReply(exception, nodeHeaderGetter(req.headers));
    }
    if (reply === undefined) return false;
    if (!platform.sent(res)) platform.send(res, reply);
    return true;
  }
}

/**
 * Thrown by the guard for a request it refuses (303 to the login page, 401, 503): Nest then runs
 * no handler. Its status and headers (`Location`, `Cache-Control`, `Retry-After`) are already on
 * the response; the module's filter sends the body as it is. An exception filter of the app's
 * that catches it first still answers with that status and those headers.
 */
export class SessionSecurityReply extends HttpException {
  /** The answer session-security gives. */
  readonly reply: Reply;
  constructor(reply: Reply) {
    super(responseOf(reply), reply.status);
    this.name = 'SessionSecurityReply';
    this.reply = reply;
  }
}

/** What Nest's own exception filter would send for a reply: its JSON, or a message. */
function responseOf(reply: Reply): string | object {
  const { body } = reply;
  if (typeof body === 'string' && reply.headers['content-type']?.includes('json')) {
    return JSON.parse(body) as object;
  }
  return typeof body === 'string' ? body : 'answered by session-security';
}

/**
 * The guard: the policy for each request a controller answers. Global by default (the module's
 * `APP_GUARD`, before the app's own guards); with `guard: 'manual'`, put it on controllers.
 *
 * @example
 * ```ts
 * @Controller('reports')
 * @UseGuards(SessionSecurityGuard) // with SessionSecurityModule.forRoot({ …, guard: 'manual' })
 * class ReportsController {}
 * ```
 */
export class SessionSecurityGuard implements CanActivate {
  constructor(
    private readonly security: SessionSecurity,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const http = context.switchToHttp();
    const passive =
      this.reflector.getAllAndOverride<boolean | undefined>(PASSIVE_METADATA, [
        context.getHandler(),
        context.getClass(),
      ]) === true;
    const req = http.getRequest<object>();
    const decide = decisions.get(this.security) as Decide;
    const reply = await decide(req, http.getResponse<object>(), passive);
    if (reply === undefined) return true;
    throw new SessionSecurityReply(reply);
  }
}

/**
 * Answers the library's errors out of a handler: a {@link SessionStoreUnavailableError} as 503
 * (JSON, or a short page for a page load, with `Retry-After`), a
 * {@link SessionSecurityRequestError} with its status (403 from `signOut`). The module registers
 * it globally; a catch-all filter of the app's runs before it and should hand these on.
 *
 * @example
 * ```ts
 * @UseFilters(SessionSecurityFilter)
 * class AccountController {}
 * ```
 */
export class SessionSecurityFilter implements ExceptionFilter {
  constructor(private readonly security: SessionSecurity) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    this.security.replyTo(exception, host);
  }
}

// Nest reads constructor dependencies from metadata that decorators write; applied as functions
// here, so that the package's build needs neither decorator syntax nor `emitDecoratorMetadata`.
Inject(SessionSecurity)(SessionSecurityGuard, undefined, 0);
Inject(Reflector)(SessionSecurityGuard, undefined, 1);
Injectable()(SessionSecurityGuard);
Inject(SessionSecurity)(SessionSecurityFilter, undefined, 0);
Catch(
  SessionSecurityReply,
  SessionStoreUnavailableError,
  SessionSecurityRequestError,
)(SessionSecurityFilter);

/**
 * The options of `forRootAsync`: a factory of the options, with what it injects.
 *
 * @example
 * ```ts
 * SessionSecurityModule.forRootAsync({
 *   imports: [TimeoutsModule], // a module of the app's that provides 'TIMEOUTS'
 *   inject: ['TIMEOUTS'],
 *   useFactory: (timeouts: { idleSeconds: number }) => ({
 *     expireAfter: timeouts.idleSeconds,
 *     isAuthenticated: (req: Request) => Boolean(req.session.user),
 *   }),
 * });
 * ```
 */
export interface SessionSecurityAsyncOptions<Req extends object = object>
  extends SessionSecurityModuleExtras {
  imports?: ModuleMetadata['imports'];
  inject?: FactoryProvider['inject'];
  useFactory(...args: never[]): SessionSecurityOptions<Req> | Promise<SessionSecurityOptions<Req>>;
}

/**
 * The module: import it once, in the app's root module. It is global: {@link SessionSecurity}
 * can be injected anywhere.
 *
 * @example
 * ```ts
 * @Module({
 *   imports: [
 *     SessionSecurityModule.forRoot({
 *       expireAfter: 900,
 *       loginUrl: '/login',
 *       isAuthenticated: (req: Request) => Boolean(req.session.user),
 *     }),
 *   ],
 *   controllers: [PagesController],
 * })
 * class AppModule {}
 * ```
 */
// biome-ignore lint/complexity/noStaticOnlyClass: Nest's dynamic modules are classes with static factories.
export class SessionSecurityModule {
  /** The module over options known at once. */
  static forRoot<Req extends object>(options: SessionSecurityModuleOptions<Req>): DynamicModule {
    const { guard, ...securityOptions } = options;
    return moduleOf({ provide: OPTIONS, useValue: securityOptions }, [], guard);
  }

  /** The module over options a factory makes (from a config service, a secret store). */
  static forRootAsync<Req extends object>(
    options: SessionSecurityAsyncOptions<Req>,
  ): DynamicModule {
    const { imports = [], inject = [], useFactory, guard } = options;
    return moduleOf({ provide: OPTIONS, useFactory, inject }, imports, guard);
  }
}

function moduleOf(
  optionsProvider: DynamicModule['providers'] extends (infer P)[] | undefined ? P : never,
  imports: NonNullable<ModuleMetadata['imports']>,
  guard: SessionSecurityModuleExtras['guard'] = 'global',
): DynamicModule {
  if (guard !== 'global' && guard !== 'manual') {
    throw new SessionSecurityConfigError(
      'guard',
      `guard must be 'global' or 'manual', not ${JSON.stringify(guard)}`,
    );
  }
  const providers: NonNullable<DynamicModule['providers']> = [
    optionsProvider,
    {
      provide: SessionSecurity,
      useFactory: (options: SessionSecurityOptions<object>, host: HttpAdapterHost) =>
        new SessionSecurity(options, host),
      inject: [OPTIONS, HttpAdapterHost],
    },
    {
      provide: SessionSecurityGuard,
      useFactory: (security: SessionSecurity, reflector: Reflector) =>
        new SessionSecurityGuard(security, reflector),
      inject: [SessionSecurity, Reflector],
    },
    {
      provide: APP_FILTER,
      useFactory: (security: SessionSecurity) => new SessionSecurityFilter(security),
      inject: [SessionSecurity],
    },
  ];
  if (guard === 'global') {
    providers.push({
      provide: APP_GUARD,
      useFactory: (instance: SessionSecurityGuard) => instance,
      inject: [SessionSecurityGuard],
    });
  }
  return {
    module: SessionSecurityModule,
    global: true,
    imports,
    providers,
    exports: [SessionSecurity, SessionSecurityGuard],
  };
}
