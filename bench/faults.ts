// `npm run faults`: what Redis and instance faults do to signed-in users. Each phase starts a new
// rig (bench/faults-rig.ts: a private Redis with an append-only file, two demo instances, nginx),
// signs in a few hundred simulated users over HTTP (bench/faults-users.ts), injects one fault
// while they run (bench/faults-inject.ts), and counts: wrongful sign-outs, sign-outs caused by
// lost data, revivals of ended sign-ins, sign-ins an "end all" did not end, 5xx and 502 answers,
// the longest answer, the recovery time, the reasons users were told, and what the demo logged.
// Prints a Markdown table; exits 1 on any revival, on a wrongful sign-out or an "end all" that
// missed a sign-in in a phase whose fault keeps data, or when a phase's harness fails. Traffic to
// 127.0.0.1 only.
//
// Options: --short (60 users, shorter timeouts: about 2 minutes), --users N, --only 0,3 (phases
// by number); or FAULTS_SHORT=1, FAULTS_USERS=N, FAULTS_ONLY=0,3. FAULTS_DEBUG=1 prints every 5xx
// answer (when it was sent, what, its body) to stderr. Phase 9 runs on a Sentinel set-up instead,
// phase 10 keeps the clocks on a Redis Cluster.

import { spawnSync } from 'node:child_process';
import { setMaxListeners } from 'node:events';
import { cpus, totalmem } from 'node:os';
import { pathToFileURL } from 'node:url';
import { sleep } from '../test/support/sleep.js';
import { FAULTS, type Fault, type FaultOutcome } from './faults-inject.js';
import { CLOCK_PREFIX, type Rig, SESSION_PREFIX, startRig } from './faults-rig.js';
import {
  emptyStats,
  type Finding,
  makeUsers,
  type PhaseStats,
  REASONS,
  runUsers,
  type SignOutSeen,
  type User,
} from './faults-users.js';

export interface FaultsOptions {
  /** 60 users and shorter timeouts (about 2 minutes in all). */
  short?: boolean;
  /** Simulated users per phase (default 300, or 60 with `short`). At least 10. */
  users?: number;
  /** Only these phases (0 is the baseline); default all. */
  only?: number[];
  /** Where progress lines go; default console.log. */
  log?: (line: string) => void;
}

/** The times of one kind of run, in milliseconds unless named otherwise. */
interface Settings {
  users: number;
  expireAfterSeconds: number;
  /** Sign-ins spread over this window. */
  signInWindowMs: number;
  /** An active user's mean pause between requests. */
  browseMs: number;
  /** From the start of the sign-ins: the ender's "end all", then the fault. */
  endAllAtMs: number;
  faultAtMs: number;
  /** How long the users run on after the fault is over. */
  settleMs: number;
  /** Redis, or the killed instance, stays down this long. */
  downMs: number;
}

const FULL: Settings = {
  users: 300,
  expireAfterSeconds: 20,
  signInWindowMs: 2000,
  browseMs: 2500,
  endAllAtMs: 3500,
  faultAtMs: 5000,
  settleMs: 6000,
  downMs: 2000,
};

const SHORT: Settings = {
  users: 60,
  expireAfterSeconds: 8,
  signInWindowMs: 1000,
  browseMs: 1000,
  endAllAtMs: 1700,
  faultAtMs: 2500,
  settleMs: 3000,
  downMs: 1000,
};

export interface PhaseResult {
  fault: Fault;
  users: number;
  stats: PhaseStats;
  outcome: FaultOutcome | undefined;
  /** Signed-in users told they were signed out whose records the fault did not take away. */
  wrongful: SignOutSeen[];
  /** Signed-in users told they were signed out whose records the fault took away. */
  lostData: SignOutSeen[];
  /** Sign-ins whose records the fault took away (signed in, or not yet ended, at the fault). */
  signInsLost: number;
  /**
   * From the fault's end to the answer of the last failed request (5xx, 502, network error) sent
   * after it; 0 when every request sent after the end succeeded.
   */
  recoveryMs: number | undefined;
  /** Lines containing "session-security", numbers replaced by N: how many times each. */
  logs: Map<string, number>;
  /** Other lines the demo printed (not audit lines), the same way. */
  otherLogs: Map<string, number>;
  /** The demo's audit events by type. */
  audit: Map<string, number>;
  /** Why the phase's harness failed, if it did. */
  harnessFailure: string | undefined;
  durationMs: number;
}

export interface FaultsReport {
  results: PhaseResult[];
  /** Why the run fails; empty when it passes. */
  failures: string[];
  markdown: string;
  elapsedMs: number;
}

/** Rigs running now: stopped on SIGINT/SIGTERM (the exit hooks of the support files kill the rest). */
const liveRigs = new Set<Rig>();

/** Lines by count, numbers replaced by N so that one kind of line is counted as one. */
function countLines(lines: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of lines) {
    const kind = line.trim().replace(/\d+/g, 'N').slice(0, 300);
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
  return counts;
}

/**
 * Splits the demo's output: session-security lines, audit events by type, the rest. An error
 * printed with its stack and fields spans several lines; the indented ones and a closing brace
 * are folded into the line that starts it.
 */
function readLogs(lines: string[]) {
  const audit = new Map<string, number>();
  const entries: { text: string; folded: boolean }[] = [];
  for (const line of lines) {
    const last = entries.at(-1);
    if (last && /^(\s|[}\]])/.test(line)) {
      last.folded = true;
      continue;
    }
    if (line.startsWith('audit ')) {
      let type = 'unreadable';
      try {
        const event = JSON.parse(line.slice('audit '.length)) as { type?: unknown };
        if (typeof event.type === 'string') type = event.type;
      } catch {
        // counted as unreadable
      }
      audit.set(type, (audit.get(type) ?? 0) + 1);
      continue;
    }
    entries.push({ text: line, folded: false });
  }
  const texts = (mentioning: boolean) =>
    entries
      .filter((entry) => entry.text.includes('session-security') === mentioning)
      .map((entry) => `${entry.text}${entry.folded ? ' [+ stack trace and fields]' : ''}`);
  return { logs: countLines(texts(true)), otherLogs: countLines(texts(false)), audit };
}

/** Whether the fault took away a record of this user's sign-in (its session or its clock). */
function lostRecord(user: User, lost: FaultOutcome['lost']): boolean {
  if (lost === undefined) return false;
  if (lost === 'all') return true;
  return (
    (user.sessionId !== undefined && lost.has(`${SESSION_PREFIX}${user.sessionId}`)) ||
    (user.marker !== undefined && lost.has(`${CLOCK_PREFIX}${user.marker}`))
  );
}

/** One phase: a new rig, the users signed in, the fault injected, the counts; the rig stopped. */
async function runPhase(fault: Fault, s: Settings, log: (line: string) => void) {
  const began = Date.now();
  const stats = emptyStats();
  const users = makeUsers(s.users, s.expireAfterSeconds);
  const expireAfterMs = s.expireAfterSeconds * 1000;
  let outcome: FaultOutcome | undefined;
  let harnessFailure: string | undefined;
  let logLines: string[] = [];
  let rig: Rig | undefined;
  const afterFault: { endAllAt: number | undefined } = { endAllAt: undefined };
  const abort = new AbortController();
  setMaxListeners(0, abort.signal); // every waiting user listens to it
  try {
    rig = await startRig(s.expireAfterSeconds, fault.topology);
    liveRigs.add(rig);
    rig.markLogStart();
    const t0 = Date.now() + 200;
    const load = runUsers(
      {
        origin: rig.nginx.origin,
        users: s.users,
        browseMs: s.browseMs,
        t0,
        signInWindowMs: s.signInWindowMs,
        guestEndAllAt: t0 + s.endAllAtMs,
        afterFault,
        signOutFrom: t0 + s.signInWindowMs + 500,
        signOutTo: t0 + s.signInWindowMs + expireAfterMs - 2000,
        signal: abort.signal,
        seed: fault.id + 1,
      },
      users,
      stats,
    );
    // A failing load is seen at once, not after the fault.
    let loadError: unknown;
    const loaded = load.catch((error: unknown) => {
      loadError = error;
    });
    try {
      await sleep(t0 + s.faultAtMs - Date.now());
      outcome = await fault.inject(rig, { downMs: s.downMs });
      // admin's "end all" a second after the fault is over.
      afterFault.endAllAt = outcome.endedAt + 1000;
      // Idle users are probed 1 s after their deadline; everyone runs on a while after the fault.
      const endAt = Math.max(
        t0 + s.signInWindowMs + expireAfterMs + 2500,
        outcome.endedAt + s.settleMs,
      );
      await sleep(endAt - Date.now());
    } finally {
      abort.abort();
      // Each user makes one last request (at most 10 s) and stops.
      const stopped = await Promise.race([
        loaded.then(() => true),
        sleep(30_000).then(() => false),
      ]);
      if (!stopped) harnessFailure = 'the users did not stop within 30 s of the end of the phase';
    }
    if (loadError !== undefined) throw loadError;
    logLines = rig.logLines();
  } catch (error) {
    harnessFailure = (error as Error)?.stack ?? String(error);
  } finally {
    abort.abort();
    if (rig) {
      await rig.stop().catch((error: unknown) => {
        harnessFailure ??= `stopping the rig: ${error}`;
      });
      liveRigs.delete(rig);
    }
  }
  if (stats.harnessErrors.length > 0) harnessFailure ??= stats.harnessErrors.join('; ');
  if (stats.unexpected.length > 0) {
    harnessFailure ??= `${stats.unexpected.length} answer(s) no role explains, e.g. ${JSON.stringify(stats.unexpected[0])}`;
  }

  // A signed-in user told signed out: wrongful, unless the fault took its records away (and the
  // answer came after the fault began).
  const wrongful: SignOutSeen[] = [];
  const lostData: SignOutSeen[] = [];
  for (const seen of stats.signOuts) {
    const user = users[seen.user];
    const byFault =
      fault.judgedByRecords &&
      outcome !== undefined &&
      seen.at >= outcome.startedAt &&
      user !== undefined &&
      lostRecord(user, outcome.lost);
    (byFault ? lostData : wrongful).push(seen);
  }
  const signInsLost =
    outcome?.lost === undefined
      ? 0
      : users.filter(
          (user) =>
            user.jar !== undefined &&
            (user.endedSince === undefined || user.endedSince > (outcome?.startedAt ?? 0)) &&
            lostRecord(user, outcome?.lost),
        ).length;
  let recoveryMs: number | undefined;
  if (outcome && fault.id !== 0) {
    const { endedAt } = outcome;
    const after = stats.failures.filter((f) => f.sentAt >= endedAt).map((f) => f.answeredAt);
    recoveryMs = Math.max(0, ...after.map((at) => at - endedAt));
  }
  const result: PhaseResult = {
    fault,
    users: s.users,
    stats,
    outcome,
    wrongful,
    lostData,
    signInsLost,
    recoveryMs,
    ...readLogs(logLines),
    harnessFailure,
    durationMs: Date.now() - began,
  };
  log(
    `faults: ${fault.id} ${fault.name}: ${stats.requests} requests, ${wrongful.length} wrongful, ${lostData.length} lost data, ${stats.revivals.length} revivals, ${missedText(stats.endAllMissed)} missed by "end all", ${stats.serverErrors} 5xx, ${stats.badGateway} 502, ${(result.durationMs / 1000).toFixed(1)} s${harnessFailure ? `; HARNESS FAILED: ${harnessFailure.split('\n')[0]}` : ''}`,
  );
  return result;
}

/**
 * A phase's revivals: within the fault's stated window after Redis is back (a crash that lost
 * sign-outs, not yet recorded again by the instance that made them), and the others.
 */
function revivalsOf(r: PhaseResult): { stated: Finding[]; late: Finding[] } {
  const windowMs = r.fault.revivalWindowMs;
  const backAt = r.outcome?.endedAt;
  if (windowMs === undefined || backAt === undefined) return { stated: [], late: r.stats.revivals };
  const stated = r.stats.revivals.filter((v) => v.at <= backAt + windowMs);
  return { stated, late: r.stats.revivals.filter((v) => !stated.includes(v)) };
}

/** Why the run fails: any revival (but those a crash's stated window allows); where the fault keeps data, a wrongful sign-out or a sign-in "end all" missed; a harness failure. */
function failuresOf(results: PhaseResult[]): string[] {
  const failures: string[] = [];
  for (const r of results) {
    const label = `${r.fault.id} (${r.fault.name})`;
    if (r.harnessFailure) failures.push(`${label}: the harness failed: ${r.harnessFailure}`);
    const { stated, late } = revivalsOf(r);
    if (late.length > 0) {
      failures.push(`${label}: ${late.length} revival(s) of ended sign-ins`);
    }
    if (stated.length > 0 && r.fault.revivalWindowMs === undefined) {
      failures.push(`${label}: ${stated.length} revival(s) of ended sign-ins`);
    }
    if (r.fault.keepsData && r.wrongful.length > 0) {
      failures.push(`${label}: ${r.wrongful.length} wrongful sign-out(s)`);
    }
    if (r.fault.keepsData && r.stats.endAllMissed.length > 0) {
      failures.push(
        `${label}: ${r.stats.endAllMissed.length} signed-in answer(s) of sign-ins a confirmed "end all" did not end`,
      );
    }
  }
  return failures;
}

/** "0", or "2 (2 within 3000 ms of Redis being back ³)". */
function revivalsText(r: PhaseResult): string {
  const { stated } = revivalsOf(r);
  const total = r.stats.revivals.length;
  if (r.fault.revivalWindowMs === undefined || stated.length === 0) return String(total);
  return `${total} (${stated.length} within ${r.fault.revivalWindowMs} ms of Redis being back ³)`;
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** "idle 60 · logout 58 · revoked 29", the known reasons first. */
function reasonsText(reasons: Map<string, number>): string {
  const known = REASONS.filter((r) => reasons.has(r));
  const other = [...reasons.keys()].filter((r) => !(REASONS as readonly string[]).includes(r));
  const parts = [...known, ...other].map((r) => `${r} ${reasons.get(r)}`);
  return parts.length > 0 ? parts.join(' · ') : '–';
}

function reasonsOf(seen: SignOutSeen[]): Map<string, number> {
  const reasons = new Map<string, number>();
  for (const s of seen) reasons.set(s.reason, (reasons.get(s.reason) ?? 0) + 1);
  return reasons;
}

/** "12 (4 sign-ins)": answers, and the sign-ins they came from. */
function missedText(missed: { user: number }[]): string {
  if (missed.length === 0) return '0';
  return `${missed.length} (${new Set(missed.map((m) => m.user)).size} sign-ins)`;
}

function linesText(counts: Map<string, number>): string {
  if (counts.size === 0) return '–';
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .map(([line, n]) => `${n}× \`${cell(line).replace(/`/g, "'")}\``)
    .join('<br>');
}

/** The report: the table, what the demo logged, and the notes of each phase. */
function renderMarkdown(results: PhaseResult[], failures: string[], header: string[]): string {
  const out: string[] = [...header, ''];
  out.push(
    '| # | fault | users | requests | wrongful sign-outs | signed out, data lost (reasons told) | revivals | "end all" missed ² | 5xx | 502 (instance down) | network errors | longest answer (ms) | recovery (ms) | told signed out, by reason | demo log lines with "session-security" |',
    '|---|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---|---:|',
  );
  for (const r of results) {
    const { stats } = r;
    const lost = r.fault.judgedByRecords
      ? `${r.lostData.length}${r.lostData.length > 0 ? ` (${reasonsText(reasonsOf(r.lostData))})` : ''}`
      : 'n/a';
    const wrongful = `${r.wrongful.length}${r.wrongful.length > 0 ? ` (${reasonsText(reasonsOf(r.wrongful))})` : ''}${r.fault.keepsData ? '' : ' ¹'}`;
    const logLines = [...r.logs.values()].reduce((a, b) => a + b, 0);
    out.push(
      `| ${r.fault.id} | ${cell(r.fault.name)}${r.harnessFailure ? ' **(harness failed)**' : ''} | ${r.users} | ${stats.requests} | ${wrongful} | ${lost} | ${revivalsText(r)} | ${missedText(stats.endAllMissed)} | ${stats.serverErrors} | ${stats.badGateway} | ${stats.networkErrors} | ${Math.round(stats.longestMs)} | ${r.recoveryMs === undefined ? '–' : r.recoveryMs} | ${reasonsText(stats.reasons)} | ${logLines} |`,
    );
  }
  out.push(
    '',
    '¹ Not a failure of the run: this fault may lose acknowledged data, so only sign-outs of sign-ins whose records survived are counted here, for information.',
    '',
    '² Signed-in answers (sign-ins) of victims after their group\'s "end all" was confirmed, which were never told they were signed out: the "end all" did not reach them. guest ends all before the fault, admin a second after it is over. A failure of the run where the fault keeps data; reported for the others.',
    '',
    "³ A crash loses Redis's last writes, sign-outs among them: an instance that did not make a lost sign-out serves its old cookie until the instance that made it reconnects and records it again (it refuses it itself meanwhile). Stated, not a failure, within the window; a revival after it fails the run.",
    '',
    '### What the demo instances logged during each phase',
    '',
    'Lines of both instances (and of a restarted one) from the start of the phase to its end; digits replaced by N, identical lines counted.',
    '',
    '| # | lines containing "session-security" | other lines (not audit) | audit events |',
    '|---|---|---|---|',
  );
  for (const r of results) {
    const audit = [...r.audit].map(([type, n]) => `${type} ${n}`).join(' · ') || '–';
    out.push(`| ${r.fault.id} | ${linesText(r.logs)} | ${linesText(r.otherLogs)} | ${audit} |`);
  }
  out.push('', '### Notes per phase', '');
  for (const r of results) {
    const notes = [...(r.outcome?.notes ?? [])];
    const { stats } = r;
    if (r.outcome?.lost !== undefined)
      notes.push(`sign-ins whose records were lost: ${r.signInsLost}`);
    for (const e of stats.endAlls) {
      const when = r.outcome ? e.answeredAt - r.outcome.startedAt : undefined;
      notes.push(
        `${e.group}'s "end all" said it ended ${e.ended} sign-ins, ${e.victims} others being signed in${when === undefined ? '' : `, answered ${Math.abs(when)} ms ${when < 0 ? 'before' : 'after'} the fault began`}`,
      );
    }
    if (stats.unjudged.length > 0) {
      const sample = stats.unjudged
        .slice(0, 3)
        .map((u) => `user ${u.user} (${u.role}) ${u.what} → ${u.status} (${u.body})`)
        .join(', ');
      notes.push(
        `${stats.unjudged.length} sign-out(s) not judged (an end in flight, or past expireAfter): ${sample}`,
      );
    }
    const failed = stats.failures;
    if (failed.length > 0 && r.outcome) {
      const from = Math.min(...failed.map((f) => f.answeredAt)) - r.outcome.startedAt;
      const to = Math.max(...failed.map((f) => f.answeredAt)) - r.outcome.startedAt;
      notes.push(`failed answers from ${from} ms to ${to} ms after the fault began`);
    }
    const told = [...stats.reasonSamples]
      .filter(([key]) => !['idle idle', 'logout sign-out', 'revoked victim'].includes(key))
      .map(([key, f]) => `${key}: user ${f.user} ${f.what} → ${f.status} ${f.body.slice(0, 100)}`);
    if (told.length > 0) notes.push(`first answers of other reasons: ${told.join('; ')}`);
    if (stats.networkErrorSamples.length > 0) {
      notes.push(`network errors, e.g. ${stats.networkErrorSamples.join(', ')}`);
    }
    if (stats.retriedOnClosedConnection > 0) {
      notes.push(
        `${stats.retriedOnClosedConnection} request(s) sent again on a new connection: nginx had closed their kept-alive one`,
      );
    }
    notes.push(`longest answer: ${stats.longestWhat}`);
    notes.push(
      `answers by status: ${[...stats.byStatus]
        .sort((a, b) => a[0] - b[0])
        .map(([k, v]) => `${k || 'error'} ${v}`)
        .join(', ')}`,
    );
    for (const w of r.wrongful.slice(0, 3)) {
      notes.push(
        `wrongful: user ${w.user} (${w.role}) ${w.what} → ${w.status} reason ${w.reason}, ${w.idleMs} ms after its recorded activity`,
      );
    }
    for (const m of stats.endAllMissed.slice(0, 3)) {
      notes.push(`"end all" missed: user ${m.user} (${m.role}) ${m.what} → ${m.status}`);
    }
    for (const v of stats.revivals.slice(0, 3)) {
      const back = r.outcome?.endedAt;
      const after = back === undefined ? '' : `, ${v.at - back} ms after Redis was back`;
      notes.push(`revival: user ${v.user} (${v.role}) ${v.what} → ${v.status}${after}`);
    }
    for (const u of stats.unexpected.slice(0, 3)) {
      notes.push(
        `unexpected: user ${u.user} (${u.role}) ${u.what} → ${u.status} ${u.body.slice(0, 120)}`,
      );
    }
    if (r.harnessFailure) notes.push(`harness failure: ${r.harnessFailure.split('\n')[0]}`);
    out.push(
      `- **${r.fault.id}. ${r.fault.name}** (${(r.durationMs / 1000).toFixed(1)} s): ${notes.map(cell).join('; ')}`,
    );
  }
  out.push(
    '',
    failures.length === 0
      ? '**Result: pass.**'
      : `**Result: FAIL**\n\n${failures.map((f) => `- ${f.split('\n')[0]}`).join('\n')}`,
  );
  return out.join('\n');
}

/** The first line a command prints about its version (nginx -v prints to stderr). */
function versionOf(command: string, args: string[]): string {
  const ran = spawnSync(command, args, { encoding: 'utf8' });
  return `${ran.stdout ?? ''}${ran.stderr ?? ''}`.trim().split('\n')[0] || `${command}: unknown`;
}

function machineLine(): string {
  const cores = cpus();
  const nginx = process.env.NGINX_PATH ?? '/usr/sbin/nginx';
  return `${cores.length} cores (${cores[0]?.model ?? 'unknown CPU'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${versionOf('redis-server', ['--version'])}, ${versionOf(nginx, ['-v'])}`;
}

/**
 * Runs the phases one after another (the baseline first) and reports.
 *
 * @example
 * ```ts
 * const report = await runFaults({ short: true });
 * report.failures; // [] when no revival, no wrongful sign-out where data is kept
 * ```
 */
export async function runFaults(options: FaultsOptions = {}): Promise<FaultsReport> {
  const log = options.log ?? ((line: string) => console.log(line));
  const base = options.short ? SHORT : FULL;
  const users = options.users ?? base.users;
  if (!Number.isInteger(users) || users < 10 || users > 2000) {
    throw new Error(`faults: users (${users}) must be an integer from 10 to 2000`);
  }
  const settings: Settings = { ...base, users };
  const faults = FAULTS.filter((f) => !options.only || options.only.includes(f.id));
  const began = Date.now();
  const header = [
    `## npm run faults${options.short ? ' --short' : ''}: ${new Date(began).toISOString()}`,
    '',
    `Machine: ${machineLine()}.`,
    `${users} users per phase (per ten: 4 active, 2 idle, 2 signing out, 1 of guest's and 1 of admin's "end all" group); expireAfter ${settings.expireAfterSeconds} s (admin's sign-ins: half); sign-ins over ${settings.signInWindowMs / 1000} s, guest's "end all" at ${settings.endAllAtMs / 1000} s, the fault at ${settings.faultAtMs / 1000} s, admin's "end all" 1 s after the fault is over; Redis (or the instance) down ${settings.downMs / 1000} s where it is taken down. "Told signed out, by reason": each sign-in counted once, by the first signed-out answer it got.`,
  ];
  log(
    `faults: ${faults.length} phases, ${users} users each, expireAfter ${settings.expireAfterSeconds} s`,
  );
  const results: PhaseResult[] = [];
  for (const fault of faults) results.push(await runPhase(fault, settings, log));
  const failures = failuresOf(results);
  const elapsedMs = Date.now() - began;
  header.push(`The run took ${(elapsedMs / 1000).toFixed(0)} s.`);
  return { results, failures, markdown: renderMarkdown(results, failures, header), elapsedMs };
}

/** The options from argv and the environment. */
function optionsFromCommandLine(argv: string[]): FaultsOptions {
  const options: FaultsOptions = {};
  const argument = (name: string) => {
    const at = argv.indexOf(name);
    return at >= 0 ? argv[at + 1] : undefined;
  };
  if (argv.includes('--short') || process.env.FAULTS_SHORT === '1') options.short = true;
  const usersText = argument('--users') ?? process.env.FAULTS_USERS;
  if (usersText !== undefined) options.users = Number(usersText);
  const onlyText = argument('--only') ?? process.env.FAULTS_ONLY;
  if (onlyText !== undefined) options.only = onlyText.split(',').map(Number);
  return options;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  // Interrupted: stop the rigs, so nothing this run started is left behind.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void Promise.race([
        Promise.all([...liveRigs].map((rig) => rig.stop().catch(() => {}))),
        sleep(5000),
      ]).finally(() => process.exit(130));
    });
  }
  try {
    const report = await runFaults(optionsFromCommandLine(process.argv.slice(2)));
    console.log(`\n${report.markdown}`);
    process.exit(report.failures.length === 0 ? 0 : 1);
  } catch (error) {
    console.error(error);
    process.exit(1);
  }
}
