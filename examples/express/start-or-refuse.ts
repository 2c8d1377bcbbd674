// The sign-in of docs/guide/operations.md under maxSignInsPerUser with onMaxSignIns: 'refuse' (test/integration/max-sign-ins.test.ts runs it).
import type { Request, Response } from 'express';
import { SignInRefusedError } from 'session-security';
import type { ExpressSessionSecurity } from 'session-security/express';

/** Starts the sign-in's clock, or signs the visitor out again and says why; true when signed in. */
export async function startOrRefuse(
  security: ExpressSessionSecurity,
  req: Request,
  res: Response,
): Promise<boolean> {
  try {
    await security.start(req);
    return true;
  } catch (error) {
    if (!(error instanceof SignInRefusedError)) throw error;
    req.session.destroy(() => res.status(error.status).send('Sign out of another device first.'));
    return false;
  }
}
