// The browser examples' context, in a page of a signed-in session (test/examples/browser.ts):
// `config` and `pageConfig`, the page's client config as `security.clientTags(req, { script:
// false })` wrote it; `existingClient` and `mySecurity`, a client the app made and started; the
// app's own functions the examples call. After the example, every component it made (a
// capitalised function, or the component a fragment that calls a hook became) is rendered with
// React and unmounted, and the clients it made are stopped.

import { createElement, type FunctionComponent, useSyncExternalStore } from 'react';
import { createRoot } from 'react-dom/client';
import { type ClientOptions, SessionSecurity } from 'session-security/client';
import { type UseSessionSecurityResult, useSessionSecurity } from 'session-security/react';
import type { PreludeHooks } from '../run.js';

export { SessionSecurity, useSessionSecurity, useSyncExternalStore };
export const config: ClientOptions = JSON.parse(
  document.getElementById('session-security-config')?.textContent ?? 'null',
);
export const pageConfig = config;
export const existingClient = new SessionSecurity({ ...config, ui: false }).start();
export const mySecurity = existingClient;

/** What the app's own functions were asked to show. */
const shown = document.createElement('output');
document.body.append(shown);
export function showMyOwnDialog(): void {
  shown.textContent = 'Your session is about to expire';
}
export function showMyDialog(expireAt: number): void {
  shown.textContent = `Your session ends at ${new Date(expireAt).toLocaleTimeString()}`;
}
export function render(snapshot: UseSessionSecurityResult): void {
  shown.textContent = snapshot.state;
}

/** Renders a component, lets its effects run (the client starts and pings), then unmounts it. */
async function renderOnce(component: FunctionComponent): Promise<void> {
  const errors: unknown[] = [];
  const container = document.createElement('div');
  document.body.append(container);
  const root = createRoot(container, {
    onUncaughtError: (error) => errors.push(error),
    onCaughtError: (error) => errors.push(error),
  });
  root.render(createElement(component));
  await new Promise((resolve) => setTimeout(resolve, 50));
  root.unmount();
  container.remove();
  if (errors.length > 0) throw errors[0];
}

export const $example: PreludeHooks = {
  async after({ locals, component }) {
    const components = Object.entries(locals)
      .filter(([name, value]) => /^[A-Z]/.test(name) && typeof value === 'function')
      .map(([, value]) => value);
    for (const one of [component, ...components]) {
      if (typeof one === 'function') await renderOnce(one as FunctionComponent);
    }
    for (const value of Object.values(locals)) {
      if (value instanceof SessionSecurity) value.stop();
    }
  },
  async cleanup() {
    existingClient.stop();
  },
};
