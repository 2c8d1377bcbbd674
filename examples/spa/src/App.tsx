// The single-page app: a sign-in form, a signed-in page, and the app's own inactivity warning
// drawn from useSessionSecurity(). The page has no server-rendered config: the hook asks the
// app's server for it (GET /session-security/config), and `reload()` asks again after a sign-in
// or sign-out, which load no page here. At expiry the client loads /?next=…&reason=idle, and
// the sign-in form says why.

import { type FormEvent, useEffect, useRef, useState } from 'react';
import { useSessionSecurity } from 'session-security/react';

/** Who is signed in, as GET /api/me says; `error` when the app's server did not answer. */
interface Me {
  user: string | null;
  error?: string;
}

/** What the sign-in form says for the `reason` the client put in the URL. */
const REASONS: Record<string, string> = {
  idle: 'You were signed out after a period of inactivity.',
  absolute: 'Your session reached its time limit.',
  logout: 'You signed out.',
  revoked: 'Your session was ended.',
};

/** GET /api/me; never rejects (a dev server without its proxy answers with its own page). */
async function whoIsSignedIn(): Promise<Me> {
  try {
    const response = await fetch('/api/me', { headers: { accept: 'application/json' } });
    if (!response.ok) throw new Error(`GET /api/me answered ${response.status}`);
    return (await response.json()) as Me;
  } catch (error) {
    return { user: null, error: `The app's server did not answer (${String(error)}).` };
  }
}

export function App() {
  const [me, setMe] = useState<Me>();
  const { reload } = useSessionSecurity();
  useEffect(() => {
    void whoIsSignedIn().then(setMe);
  }, []);
  // Signed in or out without loading a page: the client starts (or stops) for the new session.
  const changed = async () => {
    setMe(await whoIsSignedIn());
    await reload();
  };

  if (me === undefined) return <p>Loading…</p>;
  return (
    <>
      <SessionWarning />
      {me.error ? <p role="alert">{me.error}</p> : null}
      {me.user ? <Home user={me.user} onSignedOut={changed} /> : <SignIn onSignedIn={changed} />}
    </>
  );
}

function SignIn({ onSignedIn }: { onSignedIn: () => Promise<void> }) {
  const query = new URLSearchParams(window.location.search);
  const reason = query.get('reason');
  const [error, setError] = useState<string>();

  const signIn = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const user = new FormData(event.currentTarget).get('user');
    const response = await fetch('/api/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user, next: query.get('next') }),
    });
    if (!response.ok) return setError(`Signing in failed (${response.status}).`);
    // Back to where the client found the session expired (the server checked it is a path here).
    const { next } = (await response.json()) as { next: string };
    window.history.replaceState(null, '', next);
    await onSignedIn();
  };

  return (
    <main>
      <h1>Sign in</h1>
      {reason ? <p role="status">{REASONS[reason] ?? `You were signed out (${reason}).`}</p> : null}
      <form onSubmit={(event) => void signIn(event)}>
        <label>
          Name <input name="user" required autoComplete="username" />
        </label>{' '}
        <button type="submit">Sign in</button>
      </form>
      {error ? <p role="alert">{error}</p> : null}
    </main>
  );
}

function Home({ user, onSignedOut }: { user: string; onSignedOut: () => Promise<void> }) {
  const signOut = async () => {
    await fetch('/api/logout', { method: 'POST' });
    await onSignedOut();
  };
  return (
    <main>
      <h1>Hello {user}</h1>
      <p>Leave this tab alone: a warning shows before you are signed out.</p>
      <button type="button" onClick={() => void signOut()}>
        Sign out
      </button>
    </main>
  );
}

/** The app's own warning: nothing until the client warns (headless: no dialog of the library). */
function SessionWarning() {
  const { state, secondsLeft, absolute, extend, signOut } = useSessionSecurity();
  if (state !== 'warning') return null;
  return (
    <Warning
      secondsLeft={secondsLeft}
      absolute={absolute}
      onStay={() => void extend()}
      onSignOut={() => void signOut()}
    />
  );
}

interface WarningProps {
  secondsLeft: number | null;
  absolute: boolean;
  onStay: () => void;
  onSignOut: () => void;
}

function Warning({ secondsLeft, absolute, onStay, onSignOut }: WarningProps) {
  // An alert dialog takes the focus when it opens, so a keyboard user can answer at once.
  const first = useRef<HTMLButtonElement>(null);
  useEffect(() => first.current?.focus(), []);
  const left = secondsLeft === null ? 'soon' : `in ${secondsLeft} seconds`;
  return (
    <section role="alertdialog" aria-labelledby="idle-title" aria-describedby="idle-time">
      <h2 id="idle-title">Are you still there?</h2>
      <p id="idle-time">You will be signed out {left}.</p>
      {/* At the absolute time limit no action extends the session: offer no "stay". */}
      {absolute ? null : (
        <button type="button" ref={first} onClick={onStay}>
          Stay signed in
        </button>
      )}
      <button type="button" ref={absolute ? first : undefined} onClick={onSignOut}>
        Sign out
      </button>
    </section>
  );
}
