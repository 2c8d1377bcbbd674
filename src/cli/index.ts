#!/usr/bin/env node
// The `session-security` command (docs/guide/testing.md: Evidence for an auditor):
// `session-security verify --url … --login-url … --username … --password …` runs the checks of
// src/cli/verify.ts against a running app and writes the report as Markdown and JSON; it exits 1
// when a check failed, 2 for a mistake in the command.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PRESET_NAMES, type Preset } from '../core/presets.js';
import { slowRoute } from './checks.js';
import { reportMarkdown } from './report.js';
import { CHECK_IDS, type CheckId, verify } from './verify.js';

const USAGE = `usage: session-security verify --url <a signed-in page> --login-url <the login page>
  --username <name> --password <password>
  [--username-field <selector>] [--password-field <selector>] [--submit <selector>]
  [--logout <selector>] [--passive <a polling route>] [--slow <[METHOD ]a slow route>]
  [--preset ${PRESET_NAMES.join('|')}] [--absolute-timeout <seconds>]
  [--policy <describePolicy's JSON>] [--checks ${CHECK_IDS.join(',')}] [--out <directory>]
Run it against the app started with short timeouts for the run (an idle timeout of half a
minute, a warning 20 s or more before it): the checks wait in real time, all at once.
CHROMIUM_PATH names Chromium (default /usr/bin/chromium).`;

/** `--policy`: a file of what describePolicy returned, as JSON. */
function policyFile(path: string): { markdown: string } {
  let policy: unknown;
  try {
    policy = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    fail(`--policy ${path}: ${(error as Error).message}`);
  }
  const markdown = (policy as { markdown?: unknown } | null)?.markdown;
  if (typeof markdown !== 'string') {
    fail(`--policy ${path} is not what describePolicy returns: it has no "markdown"`);
  }
  return { markdown };
}

function fail(message: string): never {
  console.error(`session-security: ${message}\n\n${USAGE}`);
  process.exit(2);
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command !== 'verify') fail(command ? `no command ${JSON.stringify(command)}` : 'no command');
  const { values } = parseArgs({
    args: rest,
    options: {
      url: { type: 'string' },
      'login-url': { type: 'string' },
      username: { type: 'string' },
      password: { type: 'string' },
      'username-field': { type: 'string', default: 'input[name=username]' },
      'password-field': { type: 'string', default: 'input[name=password]' },
      submit: { type: 'string', default: 'form [type=submit]' },
      logout: { type: 'string', default: '[action$="/logout"] [type=submit], a[href$="/logout"]' },
      passive: { type: 'string' },
      slow: { type: 'string' },
      preset: { type: 'string' },
      'absolute-timeout': { type: 'string' },
      policy: { type: 'string' },
      checks: { type: 'string' },
      out: { type: 'string', default: '.' },
    },
  });
  for (const name of ['url', 'login-url', 'username', 'password'] as const) {
    if (!values[name]) fail(`--${name} is required`);
  }
  const checks = (values.checks?.split(',') ?? [...CHECK_IDS]).map((id) => id.trim());
  for (const id of checks) {
    if (!(CHECK_IDS as readonly string[]).includes(id)) fail(`no check ${JSON.stringify(id)}`);
  }
  const preset = values.preset;
  if (preset !== undefined && !(PRESET_NAMES as string[]).includes(preset)) {
    fail(`no preset ${JSON.stringify(preset)}`);
  }
  const absoluteText = values['absolute-timeout'];
  const absoluteTimeout = absoluteText === undefined ? undefined : Number(absoluteText);
  if (absoluteTimeout !== undefined && !(absoluteTimeout > 0 && Number.isFinite(absoluteTimeout))) {
    fail(`--absolute-timeout ${JSON.stringify(absoluteText)} must be a number of seconds above 0`);
  }
  if (values.slow !== undefined) {
    try {
      slowRoute(values.slow);
    } catch (error) {
      fail((error as Error).message);
    }
  }
  const report = await verify({
    url: values.url as string,
    loginUrl: values['login-url'] as string,
    username: values.username as string,
    password: values.password as string,
    usernameField: values['username-field'],
    passwordField: values['password-field'],
    submit: values.submit,
    logout: values.logout,
    passive: values.passive,
    slow: values.slow,
    preset: preset as Preset | undefined,
    absoluteTimeout,
    policy: values.policy === undefined ? undefined : policyFile(values.policy),
    checks: checks as CheckId[],
    chromium: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  });
  const markdown = reportMarkdown(report);
  writeFileSync(join(values.out, 'session-security-report.md'), markdown);
  writeFileSync(
    join(values.out, 'session-security-report.json'),
    `${JSON.stringify(report, null, 2)}\n`,
  );
  console.log(markdown);
  return report.pass ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`session-security: ${(error as Error)?.message ?? String(error)}`);
    process.exit(2);
  },
);
