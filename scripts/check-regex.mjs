// The ReDoS check, run by CI: prints recheck's verdict on every regular expression in src/ and
// fails when one is not `safe` (it can take polynomial or exponential time on some input).
// `--dir DIR` scans another folder (e.g. a copy with a slow pattern put back, to see it fail).

import { parseArgs } from 'node:util';
import {
  checkRegexes,
  DYNAMIC_MARK,
  describeResult,
  findRegexes,
  SOURCE_DIR,
} from './regex-scan.mjs';

const { values } = parseArgs({ options: { dir: { type: 'string', default: SOURCE_DIR } } });

const found = findRegexes(values.dir);
if (found.length === 0) {
  console.error(
    `check-regex: no .ts file with a regular expression under ${values.dir}: is it the sources folder?`,
  );
  process.exit(1);
}
const results = await checkRegexes(found);
for (const result of results) {
  console.log(`check-regex: ${describeResult(result)}`);
}
const bad = results.filter((result) => !result.ok);
if (bad.length > 0) {
  console.error(
    `check-regex: ${bad.length} of ${results.length} regular expressions are not safe: rewrite them ` +
      `(often a loop over the string is simpler), or, for a RegExp built from the app's own pattern, ` +
      `say why on the line above with a "${DYNAMIC_MARK}" comment`,
  );
  process.exit(1);
}
console.log(
  `check-regex: all ${results.length} regular expressions are safe (or, built at run time, vouched for)`,
);
