// The root layout of the example app: the browser half of session-security on every page (it
// renders nothing; in the browser it warns before the sign-in ends).
import type { ReactNode } from 'react';
import { SessionSecurity } from 'session-security/next/client';

export const metadata = { title: 'session-security with Next.js' };

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        {children}
        <SessionSecurity />
      </body>
    </html>
  );
}
