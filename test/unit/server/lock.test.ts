// Unit tests of the lock's server half and of the recent sign-in: the `lock` option's checks,
// the unlock route's body (with a property: no input throws, and only bounded strings pass),
// and how a RecentSignInRequiredError is answered (a redirect for a page load, a 401 otherwise).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RecentSignInRequiredError, SessionSecurityConfigError } from '../../../src/core/errors.js';
import { resolveOptions, type SessionSecurityOptions } from '../../../src/core/options.js';
import { parseUnlockBody } from '../../../src/core/protocol.js';
import type { HeaderGetter } from '../../../src/core/request.js';
import { errorReply } from '../../../src/server/outcome.js';

const SECRET = 'a drafts secret of at least 32 characters';
const quiet = { warn: () => {}, error: () => {} };
const verify = async () => true;

function resolve(options: Partial<SessionSecurityOptions<unknown>>) {
  return resolveOptions<unknown>({
    isAuthenticated: () => true,
    logger: quiet,
    userId: () => 'ada',
    draftSecret: SECRET,
    ...options,
  });
}

function configError(
  options: Partial<SessionSecurityOptions<unknown>>,
): SessionSecurityConfigError {
  try {
    resolve(options);
  } catch (error) {
    if (error instanceof SessionSecurityConfigError) return error;
    throw error;
  }
  throw new Error('no SessionSecurityConfigError');
}

describe('the lock option', () => {
  it('is kept as given, with drafts on', () => {
    const lock = { verify };
    expect(resolve({ lock }).lock?.verify).toBe(verify);
    expect(resolve({}).lock).toBeUndefined();
  });

  it('needs verify, a function', () => {
    for (const bad of [{}, { verify: 'yes' }]) {
      const error = configError({ lock: bad as never });
      expect(error.option).toBe('lock');
      expect(error.message).toContain('verify');
    }
    expect(configError({ lock: { verify, other: 1 } as never }).message).toContain('other');
  });

  it('needs drafts: userId and draftSecret, and not drafts: false', () => {
    expect(configError({ lock: { verify }, drafts: false }).message).toContain('drafts is false');
    const noUser = configError({ lock: { verify }, userId: undefined, drafts: false });
    expect(noUser.option).toBe('lock');
    // Without draftSecret (and drafts not insisted on) drafts are off: the lock says what is missing.
    const noSecret = configError({ lock: { verify }, draftSecret: undefined });
    expect(noSecret.message).toContain('draftSecret is missing');
  });
});

describe('parseUnlockBody', () => {
  it('takes a user name and a password', () => {
    expect(parseUnlockBody('{"username":"ada","password":"s3cret"}')).toEqual({
      ok: true,
      kind: 'password',
      username: 'ada',
      password: 's3cret',
    });
  });

  it("takes a request for a passkey challenge, and a passkey's answer, each alone", () => {
    expect(parseUnlockBody('{"passkey":"challenge"}')).toEqual({
      ok: true,
      kind: 'passkey-challenge',
    });
    expect(parseUnlockBody('{"passkey":{"id":"abc","response":{}}}')).toEqual({
      ok: true,
      kind: 'passkey',
      response: { id: 'abc', response: {} },
    });
  });

  it.each([
    ['a passkey with a password', '{"passkey":"challenge","username":"ada","password":"s3cret"}'],
    ['a passkey twice', '{"passkey":{"id":"eve"},"passkey":"challenge"}'],
    ['a passkey that is a list', '{"passkey":["challenge"]}'],
    ['a passkey that is null', '{"passkey":null}'],
    ['a passkey that is another word', '{"passkey":"options"}'],
  ])('refuses %s', (_what, text) => {
    const parsed = parseUnlockBody(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toContain('{"passkey": "challenge"}');
  });

  it.each([
    ['not JSON', 'username=ada'],
    ['an array', '["ada","s3cret"]'],
    ['null', 'null'],
    ['no password', '{"username":"ada"}'],
    ['an empty user name', '{"username":"","password":"s3cret"}'],
    ['a password that is a number', '{"username":"ada","password":1234}'],
    ['a user name twice', '{"username":"eve","username":"ada","password":"s3cret"}'],
    ['a user name too long', `{"username":"${'a'.repeat(257)}","password":"s3cret"}`],
    ['a password too long', `{"username":"ada","password":"${'p'.repeat(1025)}"}`],
  ])('refuses %s, saying what it expects', (_what, text) => {
    const parsed = parseUnlockBody(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toContain('"username"');
  });

  it('never throws, and passes only strings of 1 to 256 and 1 to 1,024 characters', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc
            .record({ username: fc.anything(), password: fc.anything() }, { requiredKeys: [] })
            .map((value) => JSON.stringify(value) ?? ''),
        ),
        (text) => {
          const parsed = parseUnlockBody(text);
          if (!parsed.ok) return;
          if (parsed.kind !== 'password') {
            // Only a body with a passkey, alone, asks for or answers a challenge.
            expect(Object.keys(JSON.parse(text))).toEqual(['passkey']);
            return;
          }
          expect(parsed.username.length).toBeGreaterThan(0);
          expect(parsed.username.length).toBeLessThanOrEqual(256);
          expect(parsed.password.length).toBeGreaterThan(0);
          expect(parsed.password.length).toBeLessThanOrEqual(1024);
        },
      ),
    );
  });
});

describe('a RecentSignInRequiredError answered', () => {
  const navigation: HeaderGetter = (name) =>
    ({ 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document' })[name];
  const fetchRequest: HeaderGetter = (name) => ({ 'sec-fetch-mode': 'cors' })[name];
  const location = '/login?next=%2Fpassword&reason=reauth';

  it('sends a page load to the login page, never cached', () => {
    const reply = errorReply(new RecentSignInRequiredError(300, location), navigation);
    expect(reply).toMatchObject({
      status: 303,
      headers: { location, 'cache-control': 'no-store' },
    });
  });

  it('answers anything else 401 reauth, with the header the client knows it by', () => {
    for (const header of [fetchRequest, undefined]) {
      const reply = errorReply(new RecentSignInRequiredError(300, location), header);
      expect(reply?.status).toBe(401);
      expect(reply?.headers).toMatchObject({
        'x-session-security': 'reauth',
        'cache-control': 'no-store',
      });
      expect(JSON.parse(String(reply?.body))).toEqual({
        status: 'reauth',
        reason: 'reauth',
        maxAge: 300,
      });
    }
  });

  it('answers a page load 401 too when there is no login page to send it to', () => {
    expect(errorReply(new RecentSignInRequiredError(60, undefined), navigation)?.status).toBe(401);
  });

  it('carries what frameworks answer from: status, statusCode and headers', () => {
    const error = new RecentSignInRequiredError(300, location);
    expect(error).toMatchObject({ status: 401, statusCode: 401, reason: 'reauth', maxAge: 300 });
    expect(error.headers['x-session-security']).toBe('reauth');
  });
});
