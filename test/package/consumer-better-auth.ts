// A consumer of session-security/better-auth, session-security/next,
// session-security/next/client, session-security/nestjs and session-security/sveltekit by their
// public names, with better-auth, Next.js, NestJS and SvelteKit themselves:
// test/integration/package-install.test.ts compiles it in its fresh app under the TypeScript
// module modes in which better-auth can be imported (not node16 in a CommonJS package: better-auth
// and SvelteKit ship ES modules only).

import type { CustomDecorator, DynamicModule } from '@nestjs/common';
import type { Handle, RequestEvent } from '@sveltejs/kit';
import { betterAuth } from 'better-auth';
import {
  type BetterAuthRequest,
  type BetterAuthSecurityOptions,
  errorResponse,
  type SessionSecurityPlugin,
  sessionSecurity,
} from 'session-security/better-auth';
import { Passive, type SessionSecurity, SessionSecurityModule } from 'session-security/nestjs';
import {
  type NextSecurity,
  type NextSessionSecurity,
  nextSessionSecurity,
} from 'session-security/next';
import {
  SessionSecurity as NextClient,
  type SessionSecurityProps,
} from 'session-security/next/client';
import {
  sessionSecurity as kitSecurity,
  type SessionSecurityLocals,
  type SvelteKitSessionSecurity,
  type WebSession,
} from 'session-security/sveltekit';

const options: BetterAuthSecurityOptions = {
  expireAfter: 900,
  loginUrl: '/login',
  passive: [({ request }: BetterAuthRequest) => request.headers.has('x-poll')],
};
export const plugin: SessionSecurityPlugin = sessionSecurity(options);
export const auth = betterAuth({ emailAndPassword: { enabled: true }, plugins: [plugin] });
const asNext: NextSecurity = plugin;
export const security: NextSessionSecurity = nextSessionSecurity(asNext);
export const props: SessionSecurityProps = { configUrl: '/api/auth/session-security/config' };
export const values: unknown[] = [NextClient, errorResponse, plugin.check, security.proxy];

// NestJS: the module over typed options, and the service's methods on a request.
export const nestModule: DynamicModule = SessionSecurityModule.forRoot({
  expireAfter: 900,
  isAuthenticated: (req: { session?: { user?: string } }) => Boolean(req.session?.user),
  guard: 'global',
});
export const passive: CustomDecorator<string> = Passive();
export async function nestSignIn(security: SessionSecurity, req: object): Promise<string> {
  await security.start(req);
  return security.clientTags(req, { lang: 'en' });
}

// SvelteKit: the hook, composed as an app composes it.
const kit: SvelteKitSessionSecurity = kitSecurity({
  expireAfter: 900,
  isAuthenticated: ({ session }) => typeof session.get('user') === 'string',
  // An app's own session loader; this one finds none.
  session: (_event: RequestEvent): WebSession | undefined => undefined,
});
export const handle: Handle = kit.handle;
export async function kitSignOut(event: RequestEvent): Promise<Headers> {
  const locals: SessionSecurityLocals = (event.locals as { sessionSecurity: SessionSecurityLocals })
    .sessionSecurity;
  return locals.signOut();
}
