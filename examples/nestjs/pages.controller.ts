// The pages: the login form, the signed-in page with the library's client, and the sign-out.
// Written once for both platforms: Nest's decorators, and its HTTP adapter where a page chooses
// between answering and redirecting.

import {
  Body,
  Controller,
  Get,
  Header,
  Inject,
  Post,
  Query,
  Redirect,
  Req,
  Res,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { safeNextPath } from 'session-security';
import { SessionSecurity } from 'session-security/nestjs';
import { homePage, loginPage } from './pages.js';
import { regenerate, type SessionRequest, userOf } from './session.js';

@Controller()
export class PagesController {
  // Explicit tokens: the example is compiled without emitDecoratorMetadata.
  constructor(
    @Inject(SessionSecurity) private readonly security: SessionSecurity,
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
  ) {}

  @Get('login')
  @Header('content-type', 'text/html; charset=utf-8')
  @Header('cache-control', 'no-store')
  loginForm(
    @Query('next') next: unknown,
    @Query('reason') reason: unknown,
    @Query('failed') failed: unknown,
  ): string {
    return loginPage({ next: safeNextPath(next) ?? '/', reason, failed: failed !== undefined });
  }

  @Post('login')
  @Redirect('/', 303)
  async signIn(
    @Req() req: SessionRequest,
    @Body() body: Record<string, unknown>,
  ): Promise<{ url: string }> {
    const next = safeNextPath(body.next) ?? '/';
    if (body.username !== 'ada') return { url: `/login?failed=1&next=${encodeURIComponent(next)}` };
    await regenerate(req);
    req.session.user = 'ada';
    // A fresh inactivity clock for this sign-in.
    await this.security.start(req);
    return { url: next };
  }

  @Get()
  home(@Req() req: SessionRequest, @Res() res: object): void {
    const http = this.adapterHost.httpAdapter;
    const user = userOf(req);
    if (user === undefined) {
      http.redirect(res, 303, '/login?next=%2F');
      return;
    }
    http.setHeader(res, 'content-type', 'text/html; charset=utf-8');
    http.setHeader(res, 'cache-control', 'no-store');
    http.reply(res, homePage({ user, head: this.security.clientTags(req, { lang: 'en' }) }), 200);
  }

  @Post('logout')
  @Redirect('/login?reason=logout', 303)
  async signOut(@Req() req: SessionRequest): Promise<void> {
    // Final: the session is ended, no request still in flight can save it back, and the answer
    // clears the cookie. Other tabs leave at their client's next look at the server.
    await this.security.signOut(req);
  }
}
