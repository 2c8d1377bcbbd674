// Compliance presets: the times each sets, explicit options that tighten it (kept) or loosen it
// (refused at start-up naming the standard, the clause and the limit), and describePolicy.

import {
  describePolicy,
  PRESETS,
  type Preset,
  resolveOptions,
  SessionSecurityConfigError,
  type SessionSecurityOptions,
} from 'session-security';
import { describe, expect, it } from 'vitest';

const base = {
  isAuthenticated: () => true,
  drafts: false,
  logger: { warn: () => {}, error: () => {} },
};
const resolve = (options: Partial<SessionSecurityOptions<unknown>>) =>
  resolveOptions<unknown>({ ...base, ...options });
function refusal(options: Partial<SessionSecurityOptions<unknown>>): SessionSecurityConfigError {
  try {
    resolve(options);
  } catch (error) {
    if (error instanceof SessionSecurityConfigError) return error;
    throw error;
  }
  throw new Error('expected a SessionSecurityConfigError');
}

describe('presets', () => {
  it.each([
    ['pci-dss-4', 900, 0],
    ['nist-aal2', 3600, 86_400],
    ['nist-aal3', 900, 43_200],
    ['asvs4-l2', 1800, 43_200],
    ['asvs4-l3', 900, 43_200],
  ] as const)('%s sets expireAfter %i s and absoluteTimeout %i s', (preset, idle, overall) => {
    const resolved = resolve({ preset });
    expect(resolved.preset).toBe(preset);
    expect(resolved.expireAfterMs).toBe(idle * 1000);
    expect(resolved.absoluteTimeoutMs).toBe(overall * 1000);
    // warnAfter keeps the library's rule: two minutes before expiry.
    expect(resolved.warnAfterMs).toBe((idle - 120) * 1000);
  });

  it('keeps explicit options that tighten the preset', () => {
    const resolved = resolve({ preset: 'nist-aal2', expireAfter: 600, absoluteTimeout: 8 * 3600 });
    expect(resolved.expireAfterMs).toBe(600_000);
    expect(resolved.absoluteTimeoutMs).toBe(8 * 3600 * 1000);
    expect(resolve({ preset: 'pci-dss-4', absoluteTimeout: 3600 }).absoluteTimeoutMs).toBe(
      3_600_000,
    );
  });

  it('refuses an idle timeout that loosens a requirement, naming the standard, clause and limit', () => {
    const error = refusal({ preset: 'pci-dss-4', expireAfter: 1800 });
    expect(error.option).toBe('expireAfter');
    expect(error.message).toContain('loosens the preset "pci-dss-4"');
    expect(error.message).toContain(
      'PCI DSS 4.0 8.2.8 requires an idle limit of at most 15 min (900 s)',
    );
  });

  it('says "should" where the standard only recommends', () => {
    const error = refusal({ preset: 'nist-aal2', expireAfter: 7200 });
    expect(error.message).toContain('NIST SP 800-63B-4');
    expect(error.message).toContain('recommends (should) an idle limit of at most 1 h');
  });

  it('refuses turning off or lengthening an overall limit', () => {
    const off = refusal({ preset: 'nist-aal3', absoluteTimeout: 0 });
    expect(off.option).toBe('absoluteTimeout');
    expect(off.message).toContain('absoluteTimeout 0 (off) loosens the preset "nist-aal3"');
    expect(off.message).toContain('requires an overall limit of at most 12 h');
    const longer = refusal({ preset: 'asvs4-l2', absoluteTimeout: 13 * 3600 });
    expect(longer.message).toContain('OWASP ASVS 4.0.3 V3.3.2 (level 2) requires an overall limit');
  });

  it('refuses an unknown preset, listing the known ones', () => {
    const error = refusal({ preset: 'pci' as Preset });
    expect(error.option).toBe('preset');
    for (const name of Object.keys(PRESETS)) expect(error.message).toContain(name);
  });
});

describe('describePolicy', () => {
  it('gives the effective policy as data and as a Markdown table', () => {
    const policy = describePolicy({ ...base, preset: 'asvs4-l3', expireAfter: 600 });
    expect(policy.preset).toEqual({
      name: 'asvs4-l3',
      standard: 'OWASP ASVS 4.0.3',
      clause: 'V3.3.2 (level 3)',
    });
    expect(policy.rows.map((row) => [row.setting, row.seconds, row.source])).toEqual([
      ['expireAfter', 600, 'option'],
      [
        'warnAfter',
        480,
        'library default: expireAfter - min(120 s, expireAfter / 4); no standard sets it',
      ],
      ['absoluteTimeout', 43_200, 'preset "asvs4-l3"'],
    ]);
    expect(policy.markdown).toContain(
      'Session policy: preset `asvs4-l3` (OWASP ASVS 4.0.3 V3.3.2 (level 3))',
    );
    expect(policy.markdown).toContain(
      '| idle timeout (`expireAfter`) | 10 min (600 s) | at most 15 min (shall), OWASP ASVS 4.0.3 V3.3.2 (level 3) | option |',
    );
    expect(policy.markdown).toContain(
      '| absolute timeout (`absoluteTimeout`) | 12 h (43200 s) | at most 12 h (shall), OWASP ASVS 4.0.3 V3.3.2 (level 3) | preset "asvs4-l3" |',
    );
  });

  it('says when the standard sets no overall limit, and describes options without a preset', () => {
    const pci = describePolicy({ ...base, preset: 'pci-dss-4' });
    expect(pci.markdown).toContain(
      '| absolute timeout (`absoluteTimeout`) | off | - | PCI DSS 4.0 8.2.8 sets no overall limit |',
    );
    const none = describePolicy({ ...base, expireAfter: 300 });
    expect(none.preset).toBeUndefined();
    expect(none.markdown).toContain('Session policy: no preset');
    expect(none.rows[0]).toMatchObject({ seconds: 300, limit: undefined, source: 'option' });
  });

  it('refuses what the middleware refuses', () => {
    expect(() => describePolicy({ ...base, preset: 'pci-dss-4', expireAfter: 3600 })).toThrow(
      SessionSecurityConfigError,
    );
  });
});
