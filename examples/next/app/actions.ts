// The app's Server Actions: sign in (signing up an unknown email first), and Save.
'use server';

import { APIError } from 'better-auth/api';
import { revalidatePath } from 'next/cache';
import { headers } from 'next/headers';
import { redirect } from 'next/navigation';
import { safeNextPath } from 'session-security';
import { auth } from '../lib/auth.js';
import { lastSaved } from '../lib/saves.js';
import { security } from '../lib/security.js';

export async function signIn(form: FormData): Promise<void> {
  const body = { email: String(form.get('email')), password: String(form.get('password')) };
  const next = safeNextPath(form.get('next')) ?? '/';
  try {
    await auth.api.signInEmail({ body, headers: await headers() });
  } catch (error) {
    if (!(error instanceof APIError)) throw error;
    try {
      // An unknown email: sign it up, which signs it in.
      await auth.api.signUpEmail({ body: { ...body, name: body.email }, headers: await headers() });
    } catch (signUpError) {
      if (!(signUpError instanceof APIError)) throw signUpError;
      redirect(`/login?error=1&next=${encodeURIComponent(next)}`);
    }
  }
  redirect(next);
}

export async function save(): Promise<void> {
  await security.action(); // the user's activity; the login page once the sign-in is over
  const session = await auth.api.getSession({ headers: await headers() });
  if (!session) redirect('/login');
  lastSaved.set(session.user.id, new Date().toISOString());
  revalidatePath('/');
}
