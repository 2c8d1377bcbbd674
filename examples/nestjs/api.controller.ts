// The page's API: a passive poll, and a save that is the user's activity.

import { Controller, Get, HttpCode, Post, Req, UnauthorizedException } from '@nestjs/common';
import { Passive } from 'session-security/nestjs';
import { type SessionRequest, userOf } from './session.js';

/** The guard lets anonymous visitors through (the login page is for them): the API refuses them. */
function signedIn(req: SessionRequest): string {
  const user = userOf(req);
  if (user === undefined) throw new UnauthorizedException();
  return user;
}

@Controller('api')
export class ApiController {
  @Get('notifications')
  @Passive() // polled every 2 s by the page: not the user's activity
  notifications(@Req() req: SessionRequest): { unread: number } {
    signedIn(req);
    return { unread: 0 };
  }

  @Post('save')
  @HttpCode(200)
  save(@Req() req: SessionRequest): { savedAt: string } {
    signedIn(req);
    return { savedAt: new Date().toISOString() };
  }
}
