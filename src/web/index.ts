// session-security/web: server-enforced inactivity timeout for fetch-style runtimes (standard
// Request and Response): Next.js route handlers and middleware, Bun, Deno, Cloudflare Workers.
// Its types need only the Fetch API's; its code imports no `node:` module (ARCHITECTURE.md).

export {
  LeaseRefusedError,
  SessionSecurityConfigError,
  SessionSecurityError,
  SessionSecurityRequestError,
  SessionStoreUnavailableError,
  SignInRefusedError,
} from '../core/errors.js';
export type { SessionSecurityOptions } from '../core/options.js';
export type { ClientTagsOptions } from '../server/html.js';
export type { SignInManagement, SignInSummary } from '../server/lifecycle.js';
export type { WebAdapterOptions } from './binding.js';
export {
  type SessionSecurityHandler,
  type SessionSecurityHandlerOptions,
  sessionSecurityHandler,
  type WebRequestContext,
} from './handler.js';
export { errorResponse } from './response.js';
export type { WebSession } from './session.js';
