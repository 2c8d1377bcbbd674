// The HTML helper: the tags that put the browser client on a page (stylesheet, JSON config with
// the page's catalogue and the URL of the dialog script, deferred script), the equivalent of
// Django's session_security/all.html.

import {
  type ClientOptions,
  CONFIG_ELEMENT_ID,
  type DraftsConfig,
} from '../contract/page-config.js';
import { describeValue, SessionSecurityError } from '../core/errors.js';
import type { ActiveStatus } from '../core/policy.js';
import { clientAssets } from './assets.js';
import { catalogueFor } from './catalogues.js';
import { LOCK_CATALOGUES } from './lock-catalogues.js';

/** What a page passes to the helper. */
export interface ClientTagsOptions {
  /** The page's language (its `<html lang>`): picks the catalogue and `Intl` formats. Default `en`. */
  lang?: string;
  /** The CSP nonce of the page, set on the config tag and the script. */
  nonce?: string;
  /** `false` renders the config alone, for an app that bundles `session-security/client` itself. Default true. */
  script?: boolean;
}

const attribute = (text: string) => text.replace(/&/g, '&amp;').replace(/"/g, '&quot;');

/** What the config of a page depends on besides the session's status. */
export interface ClientConfigSettings {
  prefix: string;
  loginUrl?: string | undefined;
  allowFrames?: boolean;
  drafts?: DraftsConfig | undefined;
  /** The lock, when on (the server's `lock` option): a passkey is offered when it has `passkeys`. */
  lock?: { passkeys?: unknown } | undefined;
  /** The browser's leases, when on (the server's `leases` option). */
  leases?: unknown;
}

/**
 * The browser client's config for a page of a signed-in session: what `clientTags` writes into
 * the page, and what `{prefix}/config` answers a single-page app.
 *
 * @param status - the session's status as the ping would report it
 * @param settings - the prefix, the login URL, frames and drafts
 * @param lang - the page's language (its catalogue and `Intl` formats); default `en`
 * @example
 * ```ts
 * clientConfig(statusOf(state, now, timeouts), { prefix: '/session-security' }, 'de').pingUrl;
 * // '/session-security/ping'
 * ```
 */
export function clientConfig(
  status: ActiveStatus,
  settings: ClientConfigSettings,
  lang?: string,
): ClientOptions {
  const { prefix, loginUrl } = settings;
  const catalogue = catalogueFor(lang);
  return {
    pingUrl: `${prefix}/ping`,
    logoutUrl: `${prefix}/logout`,
    ...(loginUrl !== undefined ? { loginUrl } : {}),
    ...(settings.allowFrames ? { allowFrames: true } : {}),
    ...(settings.leases ? { leaseUrl: `${prefix}/lease` } : {}),
    expireAfter: status.expireAfter,
    warnAfter: status.warnAfter,
    idleFor: status.idleFor,
    warnIn: status.warnIn,
    expireIn: status.expireIn,
    absolute: status.absolute,
    session: status.session,
    lang: catalogue.lang,
    // A translated page's strings; with the lock, the lock's too (its script carries English).
    ...(catalogue.lang === 'en'
      ? {}
      : {
          messages: {
            ...catalogue.messages,
            ...(settings.lock && settings.drafts ? LOCK_CATALOGUES[catalogue.lang] : {}),
          },
        }),
    ...(settings.drafts ? { drafts: settings.drafts } : {}),
    ...(settings.lock && settings.drafts
      ? {
          lock: {
            src: `${prefix}/lock.js?v=${clientAssets()['/lock.js'].hash}`,
            unlockUrl: `${prefix}/unlock`,
            ...(settings.lock.passkeys ? { passkey: true } : {}),
          },
        }
      : {}),
    dialogSrc: `${prefix}/dialog.js?v=${clientAssets()['/dialog.js'].hash}`,
  };
}

/**
 * Renders the client's tags for a page of a signed-in session.
 *
 * @param status - the session's status as the ping would report it
 * @param settings - the prefix, the login URL and whether the client may run in frames
 * @param options - the page's language and CSP nonce
 * @example
 * ```ts
 * renderClientTags(statusOf(state, now, timeouts), { prefix: '/session-security' }, { lang: 'de' });
 * // '<link rel="stylesheet" href="/session-security/client.css?v=…"><script type="application/json" …'
 * ```
 */
export function renderClientTags(
  status: ActiveStatus,
  settings: ClientConfigSettings,
  options: ClientTagsOptions = {},
): string {
  const { nonce, lang } = options;
  if (nonce !== undefined && (typeof nonce !== 'string' || !/^[A-Za-z0-9+/_=-]+$/.test(nonce))) {
    throw new SessionSecurityError(
      `nonce (${describeValue(nonce)}) must be the page's CSP nonce: base64 characters only`,
    );
  }
  const { prefix } = settings;
  const config = clientConfig(status, settings, lang);
  // `<` escaped so no text in the config can close the script element.
  const json = JSON.stringify(config).replace(/</g, '\\u003c');
  const nonceAttribute = nonce ? ` nonce="${attribute(nonce)}"` : '';
  const configTag = `<script type="application/json" id="${CONFIG_ELEMENT_ID}"${nonceAttribute}>${json}</script>`;
  if (options.script === false) return configTag;
  const assets = clientAssets();
  return [
    `<link rel="stylesheet" href="${prefix}/client.css?v=${assets['/client.css'].hash}">`,
    configTag,
    `<script src="${prefix}/client.js?v=${assets['/client.js'].hash}" defer${nonceAttribute}></script>`,
  ].join('\n');
}
