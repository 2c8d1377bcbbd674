// The report of `session-security verify` as Markdown (docs/guide/testing.md: Evidence for an
// auditor): the run's result, the policy as describePolicy tables it, then each check: what the
// standards ask, what was observed with times, and pass, fail or not run.

import type { CheckResult, VerifyReport } from './verify.js';

const shown = (check: CheckResult) =>
  check.result === 'fail'
    ? `**fail**: ${check.failure}`
    : check.result === 'not-run'
      ? `not run: ${check.failure}`
      : 'pass';

/** The policy section: the app's table, the run's, or why describePolicy refused the run's. */
function policyLines(report: VerifyReport): string[] {
  const { policy, times, preset } = report;
  const lines: string[] = [];
  if (times) {
    lines.push(
      `The page's policy: idle timeout ${times.expireAfter} s, warning at ${times.warnAfter} s${times.absolute ? ', an absolute timeout nearer than the idle one' : ''}.`,
      '',
    );
  }
  if (!policy) return lines;
  const under = preset ? ` under the preset ${preset}` : '';
  if (policy.from === 'app') {
    lines.push('The policy the app describes (`describePolicy` of its options):', '');
  } else if (policy.markdown) {
    lines.push(
      `The run's policy (\`describePolicy\` of the times above and \`--absolute-timeout\`${under}):`,
      '',
    );
  } else {
    lines.push(`\`describePolicy\` refused the run's policy${under}: ${policy.error}`, '');
  }
  if (policy.markdown) lines.push(policy.markdown.trimEnd(), '');
  return lines;
}

/** The report as Markdown: the policy, the table of results, then each check. */
export function reportMarkdown(report: VerifyReport): string {
  const time = (at: number) => new Date(at).toISOString().slice(11, 23);
  const lines = [
    `# session-security verify: ${report.pass ? 'PASS' : 'FAIL'}`,
    '',
    `App: ${report.app}, run at ${report.startedAt}.`,
    '',
    ...policyLines(report),
    '| check | result |',
    '| --- | --- |',
  ];
  for (const check of report.checks) lines.push(`| ${check.title} | ${shown(check)} |`);
  for (const check of report.checks) {
    lines.push('', `## ${check.title}: ${shown(check)}`, '', check.asks, '');
    for (const { at, what } of check.observed) lines.push(`- ${time(at)} ${what}`);
  }
  return `${lines.join('\n')}\n`;
}
