// session-security/adapter: what an adapter for another framework is made of (ARCHITECTURE.md, "A
// request's path"). The lifecycle decides every request; an adapter only says how to read its
// framework's request and session, and copies the lifecycle's reply onto the response.
// examples/node-http/adapter.ts is a complete adapter for plain node:http on this entry.

import { resolveOptions, type SessionSecurityOptions } from '../core/options.js';
import { type Lifecycle, createLifecycle as lifecycleOf } from '../server/lifecycle.js';

export { type ResolvedOptions, resolveOptions } from '../core/options.js';
export type { SecurityState, SignInFacts, Timeouts } from '../core/policy.js';
export type { HeaderGetter } from '../core/request.js';
export type {
  ActivityStore,
  Held,
  LeaseRequest,
  RevokeTarget,
  SessionAccess,
  SignInRecord,
  SweptSignIn,
  Touch,
} from '../core/store.js';
export { bodyParsedEarlier, readNodeBody } from '../server/body.js';
export type { ClientTagsOptions } from '../server/html.js';
export type { HoldOptions } from '../server/lifecycle/leases.js';
export type {
  BodyRead,
  Lifecycle,
  RequestFacts,
  SignInManagement,
  SignInSummary,
} from '../server/lifecycle.js';
export { appMethods, type Bound, type SessionSecurityMethods } from '../server/methods.js';
export {
  NodeFacts,
  type NodeRequestSource,
  nodeHeaderGetter,
  nodeRequestFacts,
  originOf,
  pathOf,
} from '../server/node-facts.js';
export { errorReply, type Outcome, type Reply } from '../server/outcome.js';

/**
 * The request lifecycle for the options of docs/guide/options.md (`isAuthenticated` required), over
 * the adapter's own request type `Req`: what `isAuthenticated`, `logout` and the other options
 * functions receive.
 *
 * @throws SessionSecurityConfigError for a bad option
 * @example
 * ```ts
 * import type { IncomingMessage } from 'node:http';
 *
 * const lifecycle = createLifecycle<IncomingMessage>({
 *   isAuthenticated: (req) => signedIn(req),
 *   drafts: false, // or userId and draftSecret (docs/guide/behaviour.md: Drafts kept across sign-in)
 * });
 * const outcome = await lifecycle.handle(nodeRequestFacts(req), session);
 * ```
 */
export function createLifecycle<Req extends object>(
  options: SessionSecurityOptions<Req>,
): Lifecycle<Req> {
  return lifecycleOf(resolveOptions(options));
}
