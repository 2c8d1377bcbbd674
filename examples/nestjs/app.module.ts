// The root module: session-security's module (its global guard, service and filter) over the
// example's options, and the controllers.

import { type DynamicModule, Module } from '@nestjs/common';
import { SessionSecurityModule, type SessionSecurityModuleOptions } from 'session-security/nestjs';
import { ApiController } from './api.controller.js';
import { PagesController } from './pages.controller.js';
import { type SessionRequest, userOf } from './session.js';

/** session-security's options besides the example's (`isAuthenticated`, `loginUrl`). */
export type SecurityOptions = Partial<SessionSecurityModuleOptions<SessionRequest>>;

@Module({})
// biome-ignore lint/complexity/noStaticOnlyClass: Nest's dynamic modules are classes with static factories.
export class AppModule {
  static withOptions(security: SecurityOptions = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        SessionSecurityModule.forRoot<SessionRequest>({
          expireAfter: 900, // sign out after 15 minutes without activity
          loginUrl: '/login', // expired page loads go to /login?next=…&reason=idle
          isAuthenticated: (req) => userOf(req) !== undefined,
          ...security,
        }),
      ],
      controllers: [PagesController, ApiController],
    };
  }
}
