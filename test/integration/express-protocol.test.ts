// What only the Express adapter has to show (the protocol and the policy themselves are the
// conformance suite's, test/conformance/protocol.test.ts): a JSON body parser mounted first,
// no session middleware at all, and Express's own case-insensitive routing of passive paths.

import express from 'express';
import { sessionSecurity } from 'session-security/express';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestApp, type TestAppOptions } from '../support/express-app.js';
import { listen, NAVIGATE, SAME_ORIGIN_FETCH, send } from '../support/http.js';

type TestApp = Awaited<ReturnType<typeof startTestApp>>;
let app: TestApp;
const start = async (options?: TestAppOptions) => {
  app = await startTestApp(options);
  return app;
};
afterEach(async () => {
  await app?.close();
  app = undefined as unknown as TestApp;
});

const JSON_POST = { ...SAME_ORIGIN_FETCH, 'content-type': 'application/json' };
const idleFor = async (jar: Awaited<ReturnType<TestApp['signIn']>>) =>
  (await send(app.origin, '/session-security/ping', { headers: SAME_ORIGIN_FETCH }, jar)).json
    ?.idleFor;

describe('Express specifics', () => {
  it('reads the ping when a JSON body parser ran before session-security', async () => {
    await start({ before: (express_) => express_.use(express.json()) });
    const jar = await app.signIn();
    await idleFor(jar);
    app.clock.advance(60);
    const reply = await send(
      app.origin,
      '/session-security/ping',
      { method: 'POST', headers: JSON_POST, body: '{"sinceActivity": 20}' },
      jar,
    );
    expect(reply.status).toBe(200);
    expect(reply.json?.idleFor).toBe(20);
  });

  it.each(['/API/POLL', '/api/poll/', '/Events/Stream/'])(
    'routes %s to the passive route (Express matches paths case-insensitively) and records nothing',
    async (path) => {
      await start({ security: { passive: ['/api/poll', '/events/*'] } });
      const jar = await app.signIn();
      await idleFor(jar);
      app.clock.advance(600);
      expect((await send(app.origin, path, { headers: SAME_ORIGIN_FETCH }, jar)).status).toBe(200);
      expect(await idleFor(jar)).toBe(600);
    },
  );

  it('answers 503 with a clear log when there is no session middleware', async () => {
    const errors: string[] = [];
    const bare = express();
    bare.use(
      sessionSecurity({
        drafts: false,
        isAuthenticated: () => true,
        logger: { warn: () => {}, error: (m) => errors.push(m) },
      }),
    );
    bare.get('/', (_req, res) => res.send('page'));
    const server = await listen(bare);
    try {
      const reply = await send(server.origin, '/', { headers: NAVIGATE });
      expect(reply.status).toBe(503);
      expect(errors[0]).toContain('mount the session middleware before session-security');
    } finally {
      await server.close();
    }
  });
});
