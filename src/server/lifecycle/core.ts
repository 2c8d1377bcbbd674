// What the parts of the lifecycle share: the resolved options, the activity store, the report,
// and each request's latest step on the store.

import type { ResolvedOptions } from '../../core/options.js';
import { clearSiteDataHeader } from '../../core/protocol.js';
import type { ActivityStore, Touch } from '../../core/store.js';
import type { Report } from './report.js';

/** Each request's latest step on the store, for its page's client config. */
export interface Steps {
  get(req: object): Touch | undefined;
  set(req: object, step: Touch): void;
  delete(req: object): void;
}

export interface Core<Req> {
  readonly options: ResolvedOptions<Req>;
  readonly store: ActivityStore;
  readonly report: Report;
  readonly steps: Steps;
  /** What the answer to a sign-out carries (`Clear-Site-Data`, per `clearSiteData`). */
  readonly signOutHeaders: Readonly<Record<string, string>>;
  /** The path of `loginUrl` when it is on this app: an expired request to it goes on. */
  readonly loginPath: string | undefined;
}

/**
 * A property of the request under a symbol of this lifecycle's own (not a WeakMap: made and
 * dropped for every request, WeakMap entries cost the garbage collector more than the whole step).
 */
export function coreOf<Req>(
  options: ResolvedOptions<Req>,
  store: ActivityStore,
  report: Report,
): Core<Req> {
  const clearSiteData = clearSiteDataHeader(options.clearSiteData);
  const signOutHeaders: Record<string, string> = {};
  if (clearSiteData !== undefined) signOutHeaders['clear-site-data'] = clearSiteData;
  const loginPath = options.loginUrl?.startsWith('/')
    ? new URL(options.loginUrl, 'http://placeholder.invalid').pathname
    : undefined;
  return {
    options,
    store,
    report,
    steps: stepsOnRequests(),
    signOutHeaders: Object.freeze(signOutHeaders),
    loginPath,
  };
}

function stepsOnRequests(): Steps {
  const key = Symbol('session-security: touched');
  return {
    get: (req) => (req as Record<symbol, Touch | undefined>)[key],
    set: (req, step) => {
      (req as Record<symbol, Touch | undefined>)[key] = step;
    },
    delete: (req) => {
      (req as Record<symbol, Touch | undefined>)[key] = undefined;
    },
  };
}
