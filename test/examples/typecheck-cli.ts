// The type check of the examples as a process of its own (test/examples/typecheck.ts,
// typecheckInChild): the generated examples as JSON on stdin, the messages as JSON on stdout.

import { text } from 'node:stream/consumers';
import type { Generated } from './generate.js';
import { typecheck } from './typecheck.js';

const examples = JSON.parse(await text(process.stdin)) as Generated[];
process.stdout.write(JSON.stringify(typecheck(examples)));
