// The prebuilt browser client (assets/, made by `npm run build`), served under the prefix with a
// content hash for long caching. Its text and hashes come from assets/client-assets.js, made at
// build time, so serving it touches no file system and hashes nothing at run time.

import embedded, { type EmbeddedAsset } from '../../assets/client-assets.js';

export type ClientAsset = EmbeddedAsset;

export type AssetRoute = keyof typeof embedded;

/**
 * The client's scripts and stylesheet. The module is `assets/` at the package root, two levels
 * above this file both in `src/server/` and in `dist/server/`.
 */
export function clientAssets(): Readonly<Record<AssetRoute, ClientAsset>> {
  return embedded;
}

export function isAssetRoute(route: string): route is AssetRoute {
  return Object.hasOwn(embedded, route);
}
