// session-security for this Next.js app, over better-auth's plugin (lib/auth.ts): the proxy,
// and the checks where pages render and Server Actions run.
import { nextSessionSecurity } from 'session-security/next';
import { timeouts } from './auth.js';

export const security = nextSessionSecurity(timeouts);
