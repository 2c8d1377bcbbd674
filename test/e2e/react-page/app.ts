// The React page of test/e2e/react.test.ts, bundled by the test with esbuild: a status line, a
// sign-out button and the app's own warning, three components reading useSessionSecurity()
// under StrictMode. Plain .ts (createElement, no JSX) so the project's type check covers it.

import { createElement as h, StrictMode, useEffect } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { useSessionSecurity } from 'session-security/react';

/** What the test reads back: StrictMode's mounts, every client instance the hook handed out, the root. */
const probe = window as unknown as { __mounts: number; __clients: Set<unknown>; __root?: Root };
probe.__mounts = 0;
probe.__clients = new Set();

function StatusLine() {
  const { state, client } = useSessionSecurity();
  useEffect(() => {
    probe.__mounts++;
  }, []);
  useEffect(() => {
    if (client) probe.__clients.add(client);
  }, [client]);
  return h('p', { id: 'state' }, `Session: ${state}`);
}

function SignOutButton() {
  const { signOut } = useSessionSecurity();
  return h('button', { type: 'button', onClick: () => void signOut() }, 'Sign out');
}

function IdleWarning() {
  const { state, secondsLeft, absolute, extend, signOut } = useSessionSecurity();
  if (state !== 'warning') return null;
  return h(
    'section',
    { role: 'alertdialog', 'aria-labelledby': 'idle-title', 'aria-describedby': 'idle-time' },
    h('h2', { id: 'idle-title' }, 'Still there?'),
    h('p', { id: 'idle-time' }, `You will be signed out in ${secondsLeft} seconds.`),
    absolute ? null : h('button', { type: 'button', onClick: () => void extend() }, 'Stay'),
    h('button', { type: 'button', onClick: () => void signOut() }, 'Leave now'),
  );
}

function App() {
  return h(
    'main',
    null,
    h('h1', null, 'Accounts'),
    h(StatusLine),
    h(SignOutButton),
    h(IdleWarning),
  );
}

const container = document.getElementById('root');
if (container) {
  probe.__root = createRoot(container);
  probe.__root.render(h(StrictMode, null, h(App)));
}
