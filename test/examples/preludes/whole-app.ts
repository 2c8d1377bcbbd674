// README's whole apps (the Express quick start, Passport, Fastify, Koa, Hono, several instances
// on Redis): each block is an app and needs no names; all have the same routes. After one ran, a
// browser goes through it on the server it started (a fixed port listens on a free one here,
// test/examples/run.ts): the login form, sign-in, the page with the client's tags, a ping, the
// passive poll, sign-out, and the page again.

import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { walkQuickStart } from '../../support/quick-start-walk.js';
import { environment } from '../context.js';
import type { PreludeHooks } from '../run.js';

const restoreEnvironment = environment();

/** The hooks that walk the one server an app started with `walk`. */
export function walking(walk: (origin: string) => Promise<void>): PreludeHooks {
  return {
    async after({ servers }) {
      const [server] = servers;
      if (servers.length !== 1 || !server)
        throw new Error(`the app started ${servers.length} servers`);
      // `listen` is asynchronous: the example may end before its server listens.
      if (!server.listening) await once(server, 'listening');
      await walk(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    },
    async cleanup() {
      restoreEnvironment();
    },
  };
}

export const $example = walking(walkQuickStart);
