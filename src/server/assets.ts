// The prebuilt browser client (assets/, made by `npm run build`), read once and served under
// the prefix with a content hash for long caching.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { SessionSecurityError } from '../core/errors.js';

export interface ClientAsset {
  body: Buffer;
  contentType: string;
  /** A hash of the content: the `v` of its URL and its ETag. */
  hash: string;
}

const FILES = {
  '/client.js': ['session-security.js', 'text/javascript; charset=utf-8'],
  '/client.css': ['session-security.css', 'text/css; charset=utf-8'],
  '/drafts.js': ['session-security-drafts.js', 'text/javascript; charset=utf-8'],
} as const;

export type AssetRoute = keyof typeof FILES;

let loaded: Record<AssetRoute, ClientAsset> | undefined;

/**
 * The client's scripts and stylesheet. The folder is `assets/` at the package root, two levels
 * above this file both in `src/server/` and in `dist/server/`.
 *
 * @throws SessionSecurityError when the client has not been built
 */
export function clientAssets(): Record<AssetRoute, ClientAsset> {
  if (loaded) return loaded;
  const read = ([file, contentType]: readonly [string, string]): ClientAsset => {
    const url = new URL(`../../assets/${file}`, import.meta.url);
    let body: Buffer;
    try {
      body = readFileSync(url);
    } catch (error) {
      throw new SessionSecurityError(
        `the browser client ${url.pathname} is missing (${(error as Error).message}): run "npm run build" in the session-security package`,
      );
    }
    const hash = createHash('sha256').update(body).digest('base64url').slice(0, 16);
    return { body, contentType, hash };
  };
  loaded = {
    '/client.js': read(FILES['/client.js']),
    '/client.css': read(FILES['/client.css']),
    '/drafts.js': read(FILES['/drafts.js']),
  };
  return loaded;
}

export function isAssetRoute(route: string): route is AssetRoute {
  return Object.hasOwn(FILES, route);
}
