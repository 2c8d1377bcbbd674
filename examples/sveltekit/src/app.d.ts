// What the app keeps on each request: session-security's methods (put there by its handle) and
// the request's session (put there by the session loader, src/lib/server/sessions.ts).
import type { SessionSecurityLocals, WebSession } from 'session-security/sveltekit';

declare global {
  namespace App {
    interface Locals {
      sessionSecurity: SessionSecurityLocals;
      session: WebSession | undefined;
    }
  }
}
