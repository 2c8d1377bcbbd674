// describePolicy: the effective session policy as data and as a Markdown table an auditor can
// read (what is set, the standard's limit, where each value comes from). Pure: no Node, no DOM.

import { resolveOptions, type SessionSecurityOptions } from './options.js';
import { PRESETS, type Preset, type PresetLimit, readableSeconds } from './presets.js';

/** One row of the policy: a setting, its value, the standard's limit and the value's source. */
export interface PolicyRow {
  setting: 'expireAfter' | 'warnAfter' | 'absoluteTimeout';
  /** Seconds; 0 for an absolute timeout that is off. For a per-user setting, the static value a sign-in falls back to. */
  seconds: number;
  /** Whether a function of the request sets it per sign-in (within the same limits). */
  perUser: boolean;
  /** The standard's limit, when the preset sets one. */
  limit: (PresetLimit & { standard: string; clause: string }) | undefined;
  source: string;
}

/** The effective policy of a set of options. */
export interface PolicyDescription {
  preset: { name: Preset; standard: string; clause: string } | undefined;
  rows: PolicyRow[];
  /** The same, as a Markdown table. */
  markdown: string;
}

const LABELS: Record<PolicyRow['setting'], string> = {
  expireAfter: 'idle timeout (`expireAfter`)',
  warnAfter: 'warning (`warnAfter`)',
  absoluteTimeout: 'absolute timeout (`absoluteTimeout`)',
};

/**
 * Describes the policy the options enforce, after the same checks the middleware makes.
 *
 * @param options - the options the app passes to session-security
 * @returns the policy as data, and as Markdown
 * @throws SessionSecurityConfigError as the middleware would, e.g. for an option that loosens the preset
 * @example
 * ```ts
 * describePolicy({ preset: 'pci-dss-4', isAuthenticated, drafts: false }).markdown;
 * // | setting | value | standard's limit | source | …
 * ```
 */
export function describePolicy<Req>(options: SessionSecurityOptions<Req>): PolicyDescription {
  const resolved = resolveOptions(options);
  const rule = resolved.preset ? PRESETS[resolved.preset] : undefined;
  const cite = (limit: PresetLimit | undefined) =>
    limit && rule ? { ...limit, standard: rule.standard, clause: rule.clause } : undefined;
  const given = (name: keyof SessionSecurityOptions<Req>) =>
    options[name] !== undefined && typeof options[name] !== 'function';
  const perUser = (name: PolicyRow['setting']) => typeof options[name] === 'function';
  const presetName = resolved.preset ? `preset "${resolved.preset}"` : 'library default';
  const rows: PolicyRow[] = [
    {
      setting: 'expireAfter',
      seconds: resolved.expireAfterMs / 1000,
      perUser: perUser('expireAfter'),
      limit: cite(rule?.idle),
      source: given('expireAfter') ? 'option' : presetName,
    },
    {
      setting: 'warnAfter',
      seconds: resolved.warnAfterMs / 1000,
      perUser: perUser('warnAfter'),
      limit: undefined,
      source: given('warnAfter')
        ? 'option'
        : 'library default: expireAfter - min(120 s, expireAfter / 4); no standard sets it',
    },
    {
      setting: 'absoluteTimeout',
      seconds: resolved.absoluteTimeoutMs / 1000,
      perUser: perUser('absoluteTimeout'),
      limit: cite(rule?.overall),
      source: given('absoluteTimeout')
        ? 'option'
        : rule && !rule.overall
          ? `${rule.standard} ${rule.clause} sets no overall limit`
          : presetName,
    },
  ];
  for (const row of rows) {
    if (row.perUser)
      row.source = `option: a function of the request; falls back to the ${row.source}`;
  }
  const fixed = (row: PolicyRow) =>
    row.setting === 'absoluteTimeout' && row.seconds === 0
      ? 'off'
      : `${readableSeconds(row.seconds)} (${row.seconds} s)`;
  const value = (row: PolicyRow) =>
    row.perUser
      ? `per user: \`${row.setting}(req)\` at sign-in, within the limit; ${fixed(row)} when it gives a value that breaks a rule`
      : fixed(row);
  const limit = (row: PolicyRow) =>
    row.limit
      ? `at most ${readableSeconds(row.limit.seconds)} (${row.limit.strength}), ${row.limit.standard} ${row.limit.clause}`
      : '-';
  const markdown = [
    rule && resolved.preset
      ? `Session policy: preset \`${resolved.preset}\` (${rule.standard} ${rule.clause})`
      : 'Session policy: no preset',
    '',
    "| setting | value | standard's limit | source |",
    '| --- | --- | --- | --- |',
    ...rows.map(
      (row) => `| ${LABELS[row.setting]} | ${value(row)} | ${limit(row)} | ${row.source} |`,
    ),
    '',
  ].join('\n');
  return {
    preset:
      rule && resolved.preset
        ? { name: resolved.preset, standard: rule.standard, clause: rule.clause }
        : undefined,
    rows,
    markdown,
  };
}
