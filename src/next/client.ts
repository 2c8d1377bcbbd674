'use client';
// session-security/next/client: the browser half for a Next.js App Router app, as a client
// component (docs/guide/next.md). It renders nothing, on the server or in the browser; in the
// browser it asks the app's config route and starts the client, with the library's warning.

import { usePathname } from 'next/navigation.js';
import { useEffect, useRef } from 'react';
import type { ClientOptions } from '../contract/page-config.js';
import { useSessionSecurity } from '../react/index.js';

/**
 * Where the config route is when the better-auth plugin serves the library's routes (under
 * better-auth's base path, `/api/auth`).
 */
export const BETTER_AUTH_CONFIG_URL = '/api/auth/session-security/config';

/**
 * Props of {@link SessionSecurity}.
 *
 * @example
 * ```ts
 * const props: SessionSecurityProps = { configUrl: '/api/auth/session-security/config' };
 * ```
 */
export interface SessionSecurityProps {
  /** The app's `{prefix}/config` route. Default: the better-auth plugin's, {@link BETTER_AUTH_CONFIG_URL}. */
  configUrl?: string;
  /** Options of the browser client over the route's config. Default `{ ui: true }`: the library's warning dialog. */
  config?: Partial<ClientOptions>;
}

/**
 * The browser client, in the root layout of a Next.js app: safe to render on the server (it
 * renders nothing and touches no browser API there); in the browser, for a signed-in visitor, it
 * starts the client that warns before the sign-in ends and sends the page to the login page
 * after. Anonymous visitors start nothing; it asks again at each navigation while no client
 * runs (a sign-in by a Server Action loads no page).
 *
 * @example
 * ```tsx
 * // app/layout.tsx
 * import type { ReactNode } from 'react';
 * import { SessionSecurity } from 'session-security/next/client';
 *
 * export default function RootLayout({ children }: { children: ReactNode }) {
 *   return <html lang="en"><body>{children}<SessionSecurity /></body></html>;
 * }
 * ```
 */
export function SessionSecurity({
  configUrl = BETTER_AUTH_CONFIG_URL,
  config,
}: SessionSecurityProps = {}): null {
  const { state, reload } = useSessionSecurity({ configUrl, config: { ui: true, ...config } });
  // A sign-in made without a page load (a Server Action's redirect) keeps the layout, and this
  // component, mounted: each new page asks again while no client runs.
  const pathname = usePathname();
  const seen = useRef(pathname);
  useEffect(() => {
    if (seen.current === pathname) return;
    seen.current = pathname;
    if (state === 'stopped') void reload();
  }, [pathname, state, reload]);
  return null;
}
