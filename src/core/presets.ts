// Compliance presets: the idle and overall limits that standards set for a session, the clause
// each comes from, and whether it is a requirement ("shall") or a recommendation ("should").
// Pure data and checks: no Node, no DOM.

/** A preset's name. */
export type Preset = 'pci-dss-4' | 'nist-aal2' | 'nist-aal3' | 'asvs4-l2' | 'asvs4-l3';

/** One limit of a standard, in seconds. */
export interface PresetLimit {
  seconds: number;
  /** `shall` for a requirement, `should` for a recommendation. */
  strength: 'shall' | 'should';
}

/** What a preset takes from its standard. */
export interface PresetRule {
  standard: string;
  clause: string;
  /** The longest inactivity allowed. */
  idle: PresetLimit;
  /** The longest session allowed whatever the activity; undefined when the standard sets none. */
  overall: PresetLimit | undefined;
}

const MINUTES = 60;
const HOURS = 3600;

/** The presets (NIST SP 800-63B-4 clause numbers as in its 2025 final text). */
export const PRESETS: Readonly<Record<Preset, PresetRule>> = {
  'pci-dss-4': {
    standard: 'PCI DSS 4.0',
    clause: '8.2.8',
    idle: { seconds: 15 * MINUTES, strength: 'shall' },
    overall: undefined,
  },
  'nist-aal2': {
    standard: 'NIST SP 800-63B-4',
    clause: '2.2.3 (AAL2 reauthentication)',
    idle: { seconds: 1 * HOURS, strength: 'should' },
    overall: { seconds: 24 * HOURS, strength: 'should' },
  },
  'nist-aal3': {
    standard: 'NIST SP 800-63B-4',
    clause: '2.3.3 (AAL3 reauthentication)',
    idle: { seconds: 15 * MINUTES, strength: 'should' },
    overall: { seconds: 12 * HOURS, strength: 'shall' },
  },
  'asvs4-l2': {
    standard: 'OWASP ASVS 4.0.3',
    clause: 'V3.3.2 (level 2)',
    idle: { seconds: 30 * MINUTES, strength: 'shall' },
    overall: { seconds: 12 * HOURS, strength: 'shall' },
  },
  'asvs4-l3': {
    standard: 'OWASP ASVS 4.0.3',
    clause: 'V3.3.2 (level 3)',
    idle: { seconds: 15 * MINUTES, strength: 'shall' },
    overall: { seconds: 12 * HOURS, strength: 'shall' },
  },
};

export const PRESET_NAMES = Object.keys(PRESETS) as Preset[];

/** Seconds as an auditor reads them: "15 min", "12 h", "90 s". */
export function readableSeconds(seconds: number): string {
  if (seconds % HOURS === 0) return `${seconds / HOURS} h`;
  if (seconds % MINUTES === 0) return `${seconds / MINUTES} min`;
  return `${seconds} s`;
}
