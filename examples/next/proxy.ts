// Next.js 16's proxy (formerly middleware; it runs on Node.js): session-security's policy for
// every page, Server Action, prefetch and RSC request. better-auth's own routes, with the
// library's under them (/api/auth/session-security/…), are answered by app/api/auth.
import { security } from './lib/security.js';

export const proxy = security.proxy;

export const config = {
  matcher: ['/((?!_next/static|_next/image|favicon.ico|api/auth).*)'],
};
