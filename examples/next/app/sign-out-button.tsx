// The Sign out button: session-security's sign-out, which ends better-auth's session on the
// server and then sends every open tab of the app to the login page.
'use client';

import { useSessionSecurity } from 'session-security/react';

export function SignOutButton() {
  const { signOut } = useSessionSecurity({ configUrl: '/api/auth/session-security/config' });
  return (
    <button type="button" onClick={() => void signOut()}>
      Sign out
    </button>
  );
}
