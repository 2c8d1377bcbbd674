#!/usr/bin/env node
// The `session-security` command (docs/guide/testing.md: Evidence for an auditor):
// `session-security verify --url … --login-url … --username … --password …` runs the checks of
// src/cli/verify.ts against a running app and writes the report as Markdown and JSON; it exits 1
// when a check failed, 2 for a mistake in the command.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CHECK_IDS, type CheckId, reportMarkdown, verify } from './verify.js';

const USAGE = `usage: session-security verify --url <a signed-in page> --login-url <the login page>
  --username <name> --password <password>
  [--username-field <selector>] [--password-field <selector>] [--submit <selector>]
  [--passive <a polling route>] [--checks ${CHECK_IDS.join(',')}] [--out <directory>]
Run it against the app started with short timeouts for the run (an idle timeout of a minute, a
warning 20 s or more before it): the checks wait in real time. CHROMIUM_PATH names Chromium
(default /usr/bin/chromium).`;

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
      passive: { type: 'string' },
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
  const report = await verify({
    url: values.url as string,
    loginUrl: values['login-url'] as string,
    username: values.username as string,
    password: values.password as string,
    usernameField: values['username-field'],
    passwordField: values['password-field'],
    submit: values.submit,
    passive: values.passive,
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
