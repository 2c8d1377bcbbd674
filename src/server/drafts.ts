// The server's part in drafts kept across expiry: the opaque per-user key a page's drafts are
// marked with (a keyed hash of the user's id, never the id), and the drafts part of the config.

import type { DraftsConfig } from '../contract/page-config.js';
import type { ResolvedDrafts } from '../core/options.js';
import { clientAssets } from './assets.js';
import { base64url, hmacSha256 } from './hmac.js';

/**
 * The key that marks one user's drafts: HMAC-SHA256 of the user id under the app's secret,
 * base64url. The same on every instance with the same secret; it reveals nothing of the id.
 *
 * @example
 * ```ts
 * draftKey('a secret of at least thirty-two characters', 'user-42'); // 43 base64url characters
 * ```
 */
export function draftKey(secret: string, userId: string): string {
  return base64url(hmacSha256(secret, `session-security drafts\0${userId}`));
}

/**
 * The drafts part of a page's config, or undefined when drafts are off or the app gives no id
 * for the request's user (then the page keeps no drafts: nobody could be told apart).
 */
export function draftsConfig<Req>(
  drafts: ResolvedDrafts<Req> | undefined,
  req: Req,
  src: string,
): DraftsConfig | undefined {
  if (!drafts) return undefined;
  const id = drafts.userId(req);
  if (typeof id !== 'string' || id === '') return undefined;
  return { key: draftKey(drafts.secret, id), maxAge: drafts.maxAgeMs / 1000, src };
}

/** The drafts part of the config of a page under `prefix` (the drafts script's URL with its hash). */
export function pageDrafts<Req>(
  options: { drafts: ResolvedDrafts<Req> | undefined; prefix: string },
  req: Req,
): DraftsConfig | undefined {
  if (!options.drafts) return undefined;
  const src = `${options.prefix}/drafts.js?v=${clientAssets()['/drafts.js'].hash}`;
  return draftsConfig(options.drafts, req, src);
}
