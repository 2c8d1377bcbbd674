// The demo served for the tests of a describe block. Apart from support.ts, which `npm run bench`
// also loads outside Vitest (where importing vitest fails).

import { afterAll, beforeAll } from 'vitest';
import { type DemoTimes, startDemo } from './support.js';

/** Serves the demo with these times for the tests of the enclosing describe. */
export function useDemo(times: DemoTimes): { readonly origin: string } {
  let demo: Awaited<ReturnType<typeof startDemo>> | undefined;
  beforeAll(async () => {
    demo = await startDemo(times);
  });
  afterAll(async () => {
    await demo?.close();
  });
  return {
    get origin() {
      if (!demo) throw new Error('the demo is not running');
      return demo.origin;
    },
  };
}
