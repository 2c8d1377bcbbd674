// The examples of session-security/adapter and the lifecycle: a plain node:http server on
// 127.0.0.1 with a request held in flight (`req`, `res`), its session as the lifecycle reads it
// (`session`, a session of the app's own, signed in as ada), the lifecycle for it, the request's
// facts, and the outcome of the lifecycle for it.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createLifecycle,
  nodeRequestFacts,
  type Outcome,
  type SessionAccess,
} from 'session-security/adapter';
import { send } from '../../support/http.js';
import { deferred } from '../context.js';
import type { PreludeHooks } from '../run.js';

/** A session of the app's own: a record in memory, under an id. */
class AppSession implements SessionAccess {
  private data = new Map<string, unknown>([['user', 'ada']]);
  private sessionId: string | undefined = 'app-session-1';
  exists = () => true;
  id = () => this.sessionId;
  read = () => this.data.get('sessionSecurity');
  write = (value: unknown) => void this.data.set('sessionSecurity', value);
  clear = () => void this.data.delete('sessionSecurity');
  user = () => this.data.get('user');
  async end(keepSession: boolean): Promise<void> {
    this.data = new Map();
    this.sessionId = keepSession ? 'app-session-2' : undefined;
  }
}

export const session = new AppSession();
/** Whether the request's session is signed in (the app's own rule). */
export const signedIn = (_req: IncomingMessage) => typeof session.user() === 'string';
export const isAuthenticated = signedIn;
export const lifecycle = createLifecycle<IncomingMessage>({
  isAuthenticated,
  drafts: false,
  sweepInterval: 0,
});

const held = deferred<{ req: IncomingMessage; res: ServerResponse }>();
const server = createServer((req, res) => held.resolve({ req, res }));
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const answered = send(origin, '/reports?page=2', { headers: { 'sec-fetch-site': 'same-origin' } });
export const { req, res } = await held.promise;
export const facts = nodeRequestFacts(req);
await lifecycle.start(facts, session);
export const outcome: Outcome = await lifecycle.handle(facts, session);
/** Hands the request on to the app: its page. */
export const next = () => void res.end('the page');

export const $example: PreludeHooks = {
  async cleanup() {
    if (!res.headersSent) res.end();
    await answered;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  },
};
