// The sign-in page: email and password, posted to the signIn Server Action; why the visitor was
// sent here, when session-security says (`reason`).
import { safeNextPath } from 'session-security';
import { signIn } from '../actions.js';

/** What each `reason` of an ended sign-in tells the visitor. */
const REASONS: Record<string, string> = {
  idle: 'You were signed out after a period of inactivity.',
  absolute: 'Your session reached its time limit. Please sign in again.',
  logout: 'You signed out.',
  revoked: 'This session was ended from another device.',
};

export default async function LoginPage({ searchParams }: PageProps<'/login'>) {
  const { next, error, reason } = await searchParams;
  const why = typeof reason === 'string' ? REASONS[reason] : undefined;
  return (
    <main>
      <h1>Sign in</h1>
      {why ? <p role="status">{why}</p> : null}
      {error ? <p role="alert">Wrong email or password.</p> : null}
      <form action={signIn}>
        <input type="hidden" name="next" value={safeNextPath(next) ?? '/'} />
        <label>
          Email <input name="email" type="email" autoComplete="username" required />
        </label>
        <label>
          Password{' '}
          <input
            name="password"
            type="password"
            autoComplete="current-password"
            minLength={8}
            required
          />
        </label>
        <button type="submit">Sign in</button>
      </form>
    </main>
  );
}
