// A second protected page, which the home page's link has Next prefetch (passive).
import { headers } from 'next/headers';
import { redirect } from 'next/navigation';
import { auth } from '../../lib/auth.js';
import { security } from '../../lib/security.js';

export default async function ReportsPage() {
  await security.verify();
  const session = await auth.api.getSession({ headers: await headers() });
  if (!session) redirect('/login?next=%2Freports');
  return (
    <main>
      <h1>Reports of {session.user.email}</h1>
    </main>
  );
}
