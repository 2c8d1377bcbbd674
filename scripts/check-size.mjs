// The size budget of the browser scripts, run by CI after `npm run build`: fails when the
// prebuilt client, the dialog script, the drafts script or the lock script, minified and gzipped
// (level 9), is over its budget. `--script FILE` / `--dialog FILE` / `--drafts FILE` / `--lock
// FILE` check other files (e.g. a padded copy, to see it fail).

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';

const { values } = parseArgs({
  options: {
    script: { type: 'string', default: 'assets/session-security.js' },
    dialog: { type: 'string', default: 'assets/session-security-dialog.js' },
    drafts: { type: 'string', default: 'assets/session-security-drafts.js' },
    lock: { type: 'string', default: 'assets/session-security-lock.js' },
  },
});
const root = new URL('..', import.meta.url);

const budgets = [
  // 4,600: the script every page loads. The warning's dialog left it for a module of its own,
  // imported only when a warning is near (4,337 bytes before, 3,783 after; 3,792 once input
  // answers the warning on its cover; 3,808 before the lock). The lock's part of it (locking every
  // tab in place, carrying a page on for the same user's new sign-in, `fetch` and
  // `reauthenticate`) made it 4,346; the lock itself is a module of its own, below. Passkeys at
  // the lock made it 4,370, and `hold(work)` (leases) 4,515: 4,600 is that rounded up to the
  // next 100.
  { name: 'prebuilt client', file: values.script, budget: 4600 },
  // 1,100: its measured size (1,093 bytes, the dialog and its own English) rounded up to the
  // next 100.
  { name: 'dialog script', file: values.dialog, budget: 1100 },
  // 1,600: keeping no secret and no draft after a sign-out or revocation cost 153 bytes.
  { name: 'drafts script', file: values.drafts, budget: 1600 },
  // 1,300: the lock (its form, its strings in English, and its own copy of the request that signs
  // in again), imported only on pages of an app with the lock option: 1,269 bytes measured.
  // 1,600: a passkey (its button, the request for a challenge, WebAuthn's JSON both ways) made it
  // 1,521.
  { name: 'lock script', file: values.lock, budget: 1600 },
];

let over = 0;
for (const { name, file, budget } of budgets) {
  let code;
  try {
    code = readFileSync(new URL(file, root));
  } catch (error) {
    console.error(
      `check-size: cannot read ${file} (${error.code ?? error.message}): run \`npm run build\` first`,
    );
    process.exit(1);
  }
  const gzip = gzipSync(code, { level: 9 }).length;
  const line = `${name} (${file}): ${gzip} bytes min+gzip (min ${code.length}), budget ${budget}`;
  if (gzip > budget) {
    over++;
    console.error(`check-size: ${line}: ${gzip - budget} bytes over`);
  } else {
    console.log(`check-size: ${line}: ${budget - gzip} bytes left`);
  }
}
if (over > 0) {
  console.error('check-size: over budget: make the script smaller, or raise its budget on purpose');
  process.exit(1);
}
