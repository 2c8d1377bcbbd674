// The size budget of the browser scripts, run by CI after `npm run build`: fails when the
// prebuilt client or the drafts script, minified and gzipped (level 9), is over its budget.
// `--script FILE` / `--drafts FILE` check other files (e.g. a padded copy, to see it fail).

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';

const { values } = parseArgs({
  options: {
    script: { type: 'string', default: 'assets/session-security.js' },
    drafts: { type: 'string', default: 'assets/session-security-drafts.js' },
  },
});
const root = new URL('..', import.meta.url);

const budgets = [
  // 4,400 while the security and reliability fixes land; a later change brings it under 3,800.
  { name: 'prebuilt client', file: values.script, budget: 4400 },
  // 1,600: keeping no secret and no draft after a sign-out or revocation cost 153 bytes.
  { name: 'drafts script', file: values.drafts, budget: 1600 },
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
