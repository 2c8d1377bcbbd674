// session-security/next's requireRecentSignIn(maxAge) for Server Components and Actions, with
// Next's request headers and redirect() stood in for (they need a request of Next's own; the
// security's answers are tested on real stacks: the web handler's and the better-auth plugin's).
// It asks the security about the page's own request, passive; a refusal with a Location is
// Next's redirect there; a store failure is an error, never a pass.

import { beforeEach, describe, expect, it, vi } from 'vitest';

const given = new Headers();
const redirects: string[] = [];
vi.mock('next/headers.js', () => ({ headers: async () => given }));
vi.mock('next/navigation.js', () => ({
  redirect: (location: string) => {
    redirects.push(location);
    throw new Error(`NEXT_REDIRECT ${location}`);
  },
}));

const { nextSessionSecurity, URL_HEADER } = await import('../../../src/next/index.js');
const { RecentSignInRequiredError, SessionStoreUnavailableError } = await import(
  '../../../src/core/errors.js'
);

beforeEach(() => {
  redirects.length = 0;
  for (const name of [...given.keys()]) given.delete(name);
  given.set('host', 'app.example');
  given.set('cookie', 'sid=abc');
  given.set(URL_HEADER, '/settings/password?tab=2');
});

/** A security whose requireRecentSignIn answers `answer`, recording what it was asked. */
function securityAnswering(answer: Response | undefined) {
  const asked: { request: Request; maxAge: number }[] = [];
  return {
    asked,
    security: nextSessionSecurity({
      check: async () => undefined,
      requireRecentSignIn: async (request, maxAge) => {
        asked.push({ request, maxAge });
        return answer;
      },
    }),
  };
}

describe('requireRecentSignIn(maxAge) of session-security/next', () => {
  it("asks about the page's own request, passive, with its cookies; goes on when recent", async () => {
    const { asked, security } = securityAnswering(undefined);
    await expect(security.requireRecentSignIn(300)).resolves.toBeUndefined();
    expect(asked).toHaveLength(1);
    const [{ request, maxAge }] = asked as [{ request: Request; maxAge: number }];
    expect(maxAge).toBe(300);
    expect(request.url).toBe('http://app.example/settings/password?tab=2');
    expect(request.method).toBe('GET');
    expect(request.headers.get('x-session-security')).toBe('passive');
    expect(request.headers.get('sec-fetch-mode')).toBe('navigate');
    expect(request.headers.get('cookie')).toBe('sid=abc');
    expect(redirects).toEqual([]);
  });

  it('redirects to the login page the security names when the sign-in is older', async () => {
    const location = '/login?next=%2Fsettings%2Fpassword%3Ftab%3D2&reason=reauth';
    const { security } = securityAnswering(
      new Response(null, { status: 303, headers: { location } }),
    );
    await expect(security.requireRecentSignIn(300)).rejects.toThrow('NEXT_REDIRECT');
    expect(redirects).toEqual([location]);
  });

  it('throws RecentSignInRequiredError without a login page, and a store error for a 503', async () => {
    const refusal = securityAnswering(new Response('{}', { status: 401 }));
    const error = await refusal.security.requireRecentSignIn(60).catch((caught) => caught);
    expect(error).toBeInstanceOf(RecentSignInRequiredError);
    expect(error).toMatchObject({ status: 401, reason: 'reauth', maxAge: 60 });
    const down = securityAnswering(new Response('{}', { status: 503 }));
    await expect(down.security.requireRecentSignIn(60)).rejects.toBeInstanceOf(
      SessionStoreUnavailableError,
    );
    expect(redirects).toEqual([]);
  });

  it('says what is missing when the security has no requireRecentSignIn', async () => {
    const security = nextSessionSecurity({ check: async () => undefined });
    await expect(security.requireRecentSignIn(60)).rejects.toThrow(
      'requireRecentSignIn needs it of the security given to nextSessionSecurity',
    );
  });
});
