// signIn's example (src/testing/sign-in.ts): a running app to sign in to, the demo (its login
// form takes demo / demo), at `origin`; closed after the example.

import { createDemoApp } from '../../../examples/demo/app.js';
import { listen } from '../../support/http.js';
import { SECRETS } from '../context.js';
import type { PreludeHooks } from '../run.js';

const server = await listen(
  createDemoApp({
    expireAfter: 900,
    warnAfter: 780,
    absoluteTimeout: 0,
    sessionSecret: SECRETS.SESSION_SECRET,
    logger: { warn: () => {}, error: () => {} },
  }),
);
export const origin = server.origin;

export const $example: PreludeHooks = {
  async cleanup() {
    await server.close();
  },
};
