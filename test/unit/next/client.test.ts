// session-security/next/client's component rendered on the server, as Next.js renders a client
// component's first HTML: no browser API exists here, and it must render nothing and start
// nothing. (In the browser it is tested by test/e2e/next.test.ts, under `next start`.)

import { createElement } from 'react';
import { renderToString } from 'react-dom/server';
import { SessionSecurity, type SessionSecurityProps } from 'session-security/next/client';
import { describe, expect, it } from 'vitest';

describe('SessionSecurity (session-security/next/client) on the server', () => {
  it('renders nothing and touches no browser API', () => {
    expect(typeof (globalThis as { window?: unknown }).window).toBe('undefined');
    expect(typeof (globalThis as { document?: unknown }).document).toBe('undefined');
    expect(renderToString(createElement(SessionSecurity))).toBe('');
    expect(
      renderToString(
        createElement<SessionSecurityProps>(SessionSecurity, {
          configUrl: '/session-security/config',
          config: { ui: false },
        }),
      ),
    ).toBe('');
  });
});
