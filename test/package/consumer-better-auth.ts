// A consumer of session-security/better-auth, session-security/next and
// session-security/next/client by their public names, with better-auth and Next.js themselves:
// test/integration/package-install.test.ts compiles it in its fresh app under the TypeScript
// module modes in which better-auth can be imported (not node16 in a CommonJS package: better-auth
// ships ES modules only).

import { betterAuth } from 'better-auth';
import {
  type BetterAuthRequest,
  type BetterAuthSecurityOptions,
  errorResponse,
  type SessionSecurityPlugin,
  sessionSecurity,
} from 'session-security/better-auth';
import {
  type NextSecurity,
  type NextSessionSecurity,
  nextSessionSecurity,
} from 'session-security/next';
import { SessionSecurity, type SessionSecurityProps } from 'session-security/next/client';

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
export const values: unknown[] = [SessionSecurity, errorResponse, plugin.check, security.proxy];
