// The NestJS examples' context: Nest's decorators, a real Nest app on its Express platform with
// express-session and the module, listening on 127.0.0.1 (`security`, its SessionSecurity), and
// `req`/`res`, a page request of a signed-in session held in flight past the guard. After the
// example, each module and controller class it declared is booted in an app of its own (with
// express-session and the module), and every dependency its controllers were given must be
// there: a missing `@Inject` token leaves one undefined, which Nest itself does not report.

import 'reflect-metadata';
import {
  Catch,
  Controller,
  Get,
  type INestApplication,
  Inject,
  Module,
  Post,
  Req,
  Res,
  UseFilters,
  UseGuards,
} from '@nestjs/common';
import { BaseExceptionFilter, NestFactory } from '@nestjs/core';
import type { Request, Response } from 'express';
import session from 'express-session';
import {
  Passive,
  SessionSecurity,
  SessionSecurityFilter,
  SessionSecurityGuard,
  SessionSecurityModule,
} from 'session-security/nestjs';
import { deferred, environment, request, SECRETS, signedIn } from '../context.js';
import type { PreludeHooks } from '../run.js';

declare module 'express-session' {
  interface SessionData {
    user: string;
  }
}

const restoreEnvironment = environment();

export type { ArgumentsHost } from '@nestjs/common';
export type { Request, Response };
export {
  BaseExceptionFilter,
  Catch,
  Controller,
  Get,
  Inject,
  Module,
  Passive,
  Post,
  Req,
  Res,
  SessionSecurity,
  SessionSecurityFilter,
  SessionSecurityGuard,
  SessionSecurityModule,
  UseFilters,
  UseGuards,
};
export const secret = SECRETS.SESSION_SECRET;
export const draftSecret = SECRETS.DRAFT_SECRET;
export const isAuthenticated = (req: Request) => typeof req.session.user === 'string';
export const userId = (req: Request) => req.session.user ?? '';

/** A page of the app's, for the examples' modules. */
@Controller('pages')
export class PagesController {
  @Get()
  page() {
    return 'a page';
  }
}

/** A module of the app's that provides its timeouts, for `forRootAsync`. */
const timeouts = { provide: 'TIMEOUTS', useValue: { idleSeconds: 600 } };
@Module({ providers: [timeouts], exports: [timeouts] })
export class TimeoutsModule {}

/** The prelude's app: where `req` is held, past the guard. */
const held = deferred<{ req: Request; res: Response }>();
@Controller()
class PreludeRoutes {
  constructor(@Inject(SessionSecurity) private readonly security: SessionSecurity) {}
  @Post('$prelude/sign-in')
  async signIn(@Req() req: Request) {
    req.session.user = 'ada';
    await this.security.start(req);
    return 'signed in';
  }
  @Get('reports')
  reports(@Req() req: Request, @Res() res: Response) {
    held.resolve({ req, res });
  }
}

@Module({
  imports: [
    SessionSecurityModule.forRoot({ isAuthenticated, userId, draftSecret, sweepInterval: 0 }),
  ],
  controllers: [PreludeRoutes, PagesController],
})
export class AppModule {}

/** A Nest app of `module` on Express, with express-session, initialised. */
async function boot(module: new (...args: never[]) => unknown): Promise<INestApplication> {
  const app = await NestFactory.create(module, { logger: false, abortOnError: false });
  app.use(session({ secret, resave: false, saveUninitialized: false }));
  await app.init();
  return app;
}

const app = await boot(AppModule);
await app.listen(0, '127.0.0.1');
const origin = (await app.getUrl()).replace('[::1]', '127.0.0.1');
export const security = app.get(SessionSecurity);
const jar = await signedIn(origin, '/$prelude/sign-in');
const answered = request(origin, jar, 'GET', '/reports?page=2');
export const { req, res } = await held.promise;

type Class = new (...args: never[]) => unknown;
const isClass = (value: unknown): value is Class =>
  typeof value === 'function' && /^class\b/.test(Function.prototype.toString.call(value));
const isModule = (value: Class) =>
  Reflect.getMetadataKeys(value).some((key) => key === 'imports' || key === 'controllers');
const isController = (value: Class) => Reflect.getMetadata('path', value) !== undefined;

/** Boots `module`, and checks that each of its controllers got every dependency it declared. */
async function bootAndCheck(module: Class, controllers: readonly Class[]): Promise<void> {
  const booted = await boot(module);
  try {
    for (const controller of controllers) {
      const instance = booted.get(controller, { strict: false }) as Record<string, unknown>;
      for (const [name, value] of Object.entries(instance)) {
        if (value === undefined) {
          throw new Error(
            `${controller.name}.${name} was not injected (an @Inject token missing?)`,
          );
        }
      }
    }
  } finally {
    await booted.close();
  }
}

export const $example: PreludeHooks = {
  async after({ locals }) {
    const classes = Object.values(locals).filter(isClass);
    for (const module of classes.filter(isModule)) {
      const controllers = (Reflect.getMetadata('controllers', module) ?? []) as Class[];
      await bootAndCheck(module, controllers);
    }
    for (const controller of classes.filter(isController)) {
      @Module({
        imports: [SessionSecurityModule.forRoot({ isAuthenticated, drafts: false })],
        controllers: [controller],
      })
      class ControllerModule {}
      await bootAndCheck(ControllerModule, [controller]);
    }
  },
  async cleanup() {
    if (!res.headersSent) res.end();
    await answered;
    await app.close();
    restoreEnvironment();
  },
};
