// `npm run bench`: every benchmark on 127.0.0.1, one after the other, printed as one table (and
// written to bench/latest.md, with the date, the machine and the command, for BENCHMARKS.md).
// A part that fails is reported as failed and the run goes on; the exit code then says so.
// BENCH_ONLY=client,server,... runs some parts only; BENCH_QUICK=1 shortens every part (a check
// that it runs, not a measurement).

import { writeFileSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';
import type { BenchSection } from './report.js';
import { renderReport } from './report.js';

/** The parts, in the order they run: the deterministic ones first, the loud ones last. */
const PARTS: Record<string, () => Promise<{ run(): Promise<BenchSection[]> }>> = {
  sizes: () => import('./sizes.js'),
  network: () => import('./network.js'),
  memory: () => import('./memory.js'),
  client: () => import('./client.js'),
  server: () => import('./server.js'),
  load: () => import('./load.js'),
};

const only = process.env.BENCH_ONLY?.split(',').map((name) => name.trim());
for (const name of only ?? []) {
  if (!Object.hasOwn(PARTS, name)) {
    console.error(
      `bench: BENCH_ONLY names "${name}"; the parts are ${Object.keys(PARTS).join(', ')}`,
    );
    process.exit(2);
  }
}

const started = Date.now();
const sections: BenchSection[] = [];
let failures = 0;
for (const [name, load] of Object.entries(PARTS)) {
  if (only && !only.includes(name)) continue;
  console.error(`bench: ${name}…`);
  const partStarted = Date.now();
  try {
    sections.push(...(await (await load()).run()));
  } catch (error) {
    failures++;
    console.error(`bench: ${name} failed:`, error);
    sections.push({
      title: name,
      rows: [{ name: 'the part', value: `failed: ${(error as Error)?.message ?? error}` }],
      notes: [],
    });
  }
  console.error(`bench: ${name} took ${Math.round((Date.now() - partStarted) / 1000)} s`);
}

const machine = `${availableParallelism()} cores (${cpus()[0]?.model.trim() ?? 'unknown CPU'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node.js ${process.version}, ${process.platform}`;
const header = [
  `Run on ${new Date().toISOString().slice(0, 10)}: ${machine}.`,
  `Command: \`npm run bench\`${process.env.BENCH_QUICK ? ' with BENCH_QUICK=1 (a check, not a measurement)' : ''}${only ? ` with BENCH_ONLY=${only.join(',')}` : ''}; ${Math.round((Date.now() - started) / 1000)} s in all.`,
  '',
].join('\n');
const report = `${header}\n${renderReport(sections)}`;
console.log(report);
writeFileSync(new URL('./latest.md', import.meta.url), report);
if (failures > 0) process.exit(1);
