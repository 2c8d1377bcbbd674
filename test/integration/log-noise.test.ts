// What a client can make the library log: nothing it controls should become an error line or a
// stack trace in the operator's log. Real Express + express-session on 127.0.0.1.

import { connect } from 'node:net';
import express from 'express';
import { sessionSecurity } from 'session-security/express';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestApp } from '../support/express-app.js';
import { listen, SAME_ORIGIN_FETCH, send } from '../support/http.js';

type TestApp = Awaited<ReturnType<typeof startTestApp>>;
let app: TestApp | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

/** Sends raw bytes on one connection and resolves with what came back (or '' when it closed first). */
function raw(origin: string, text: string, hangUp = false): Promise<string> {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let received = '';
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1');
    });
    socket.on('end', () => resolve(received));
    socket.on('close', () => resolve(received));
    socket.on('error', reject);
    socket.write(text, () => {
      if (hangUp) setTimeout(() => socket.destroy(), 50);
    });
  });
}

describe('log noise a client controls', () => {
  it('logs nothing for a request whose target is not a path (GET * HTTP/1.1)', async () => {
    app = await startTestApp();
    const answer = await raw(app.origin, 'GET * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 404/);
    expect(app.logger.errors).toEqual([]);
    expect(app.appErrors).toEqual([]);
  });

  it('logs nothing when a client hangs up in the middle of a ping body', async () => {
    app = await startTestApp();
    const jar = await app.signIn();
    const cookie = jar.header() ?? '';
    const head = [
      'POST /session-security/ping HTTP/1.1',
      'Host: 127.0.0.1',
      'Content-Type: application/json',
      'Sec-Fetch-Site: same-origin',
      'Content-Length: 200',
      `Cookie: ${cookie}`,
    ].join('\r\n');
    for (let i = 0; i < 5; i++) await raw(app.origin, `${head}\r\n\r\n{"sinceAct`, true);
    // The server is still well: a complete ping is answered.
    const reply = await send(
      app.origin,
      '/session-security/ping',
      { headers: SAME_ORIGIN_FETCH },
      jar,
    );
    expect(reply.status).toBe(200);
    expect(app.logger.errors).toEqual([]);
    expect(app.appErrors).toEqual([]);
  });

  it('logs a missing session once a minute at most, with the count', async () => {
    const errors: string[] = [];
    let now = 1_700_000_000_000;
    const bare = express();
    bare.use(
      sessionSecurity({
        drafts: false,
        isAuthenticated: () => true,
        clock: { now: () => now },
        logger: { warn: () => {}, error: (message) => errors.push(message) },
      }),
    );
    const server = await listen(bare);
    try {
      for (let i = 0; i < 5; i++) expect((await send(server.origin, '/')).status).toBe(503);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toContain('mount the session middleware before session-security');
      now += 60_000;
      for (let i = 0; i < 3; i++) await send(server.origin, '/');
      expect(errors).toHaveLength(2);
      expect(errors[1]).toContain('5 request(s) had no session');
    } finally {
      await server.close();
    }
  });
});
