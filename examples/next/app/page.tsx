// The protected home page (a Server Component): checked where it renders, not by the proxy
// alone; the user's email, a Save button (a Server Action), a link Next prefetches, and the
// session as better-auth's client polls it. Signed out, it redirects to /login.
import { headers } from 'next/headers';
import Link from 'next/link';
import { redirect } from 'next/navigation';
import { auth } from '../lib/auth.js';
import { lastSaved } from '../lib/saves.js';
import { security } from '../lib/security.js';
import { save } from './actions.js';
import { SessionStatus } from './session-status.js';
import { SignOutButton } from './sign-out-button.js';

export default async function HomePage() {
  await security.verify();
  const session = await auth.api.getSession({ headers: await headers() });
  if (!session) redirect('/login?next=%2F');
  const saved = lastSaved.get(session.user.id);
  return (
    <main>
      <h1>Signed in as {session.user.email}</h1>
      <form action={save}>
        <button type="submit">Save</button>
      </form>
      {saved ? <p id="saved">Saved at {saved}.</p> : null}
      <p>
        <Link href="/reports">Reports</Link>
      </p>
      <SessionStatus />
      <SignOutButton />
    </main>
  );
}
