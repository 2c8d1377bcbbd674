// A client component showing the session as better-auth's client sees it, polled every 5 s.
'use client';

import { authClient } from '../lib/auth-client.js';

export function SessionStatus() {
  const { data, isPending } = authClient.useSession();
  if (isPending) return <p>Checking the session…</p>;
  return <p>Client sees: {data ? `signed in as ${data.user.email}` : 'signed out'}</p>;
}
