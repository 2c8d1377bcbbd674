// What each part of `npm run bench` gives back, and the one table they print as: a section per
// part, a row per measurement, with its goal when it has one. Numbers are reported, never asserted.

/** One measurement: a name, the value as printed, and its goal when it has one. */
export interface BenchRow {
  /** What was measured, e.g. "express, default store: page with / without the middleware". */
  name: string;
  /** The value as printed, with its unit, e.g. "0.96x" or "3 812 bytes". */
  value: string;
  /** The goal as printed, e.g. ">= 0.95", when there is one. */
  goal?: string;
  /** Whether the goal was met, when there is one. */
  met?: boolean;
}

/** One part of the bench: its rows, and lines that say how it was measured. */
export interface BenchSection {
  title: string;
  rows: BenchRow[];
  /** How it was measured (setup, durations, rounds): printed under the table. */
  notes: string[];
}

/** Renders sections as one Markdown table (and the notes under it), as BENCHMARKS.md records them. */
export function renderReport(sections: readonly BenchSection[]): string {
  const lines = ['| part | measurement | value | goal |', '| --- | --- | --- | --- |'];
  for (const section of sections) {
    for (const row of section.rows) {
      const goal = row.goal === undefined ? '' : `${row.goal} (${row.met ? 'met' : '**missed**'})`;
      lines.push(`| ${section.title} | ${row.name} | ${row.value} | ${goal} |`);
    }
  }
  lines.push('');
  for (const section of sections) {
    if (section.notes.length === 0) continue;
    lines.push(`${section.title}:`, ...section.notes.map((note) => `- ${note}`), '');
  }
  return lines.join('\n');
}

/** A ratio as printed: two decimals and an "x". */
export const ratio = (value: number): string => `${value.toFixed(2)}x`;

/** The median of some numbers (NaN for none). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/**
 * A distribution-free confidence interval for the median (the order-statistic interval): the
 * k-th smallest and the k-th largest of the values, for the largest k whose chance that the true
 * median lies outside is at most 1 - `confidence` (the count below it is Binomial(n, 1/2)).
 * Undefined with too few values for that confidence (5 or fewer at 95 %).
 */
export function medianInterval(
  values: readonly number[],
  confidence = 0.95,
): { low: number; high: number; coverage: number } | undefined {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  // P(X <= j) for X ~ Binomial(n, 1/2), for j = 0, 1, ...
  const below: number[] = [];
  let term = 0.5 ** n;
  let sum = 0;
  for (let j = 0; j <= n; j++) {
    sum += term;
    below.push(sum);
    term = (term * (n - j)) / (j + 1);
  }
  let k = 0;
  // The interval [x(k+1), x(n-k)] misses the median with chance 2 * P(X <= k).
  while (k + 1 < n - k - 1 && 2 * (below[k] as number) <= 1 - confidence) k++;
  if (k === 0) return undefined;
  const coverage = 1 - 2 * (below[k - 1] as number);
  return { low: sorted[k - 1] as number, high: sorted[n - k] as number, coverage };
}

/** A random number source from a seed (mulberry32), so that runs with one seed match. */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
