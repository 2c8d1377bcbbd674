// Unit tests of the testing kit's parts that need no browser (src/testing/): the clock moves at
// once without a browser and refuses nonsense, and `expiredReason` reads the reason of an answer
// as fetch, supertest and light-my-request (Fastify's inject) give it.

import { describe, expect, it } from 'vitest';
import { expiredReason, TestClock } from '../../src/testing/index.js';

describe('TestClock without a browser', () => {
  it('starts where it is told, and moves at once', async () => {
    const clock = new TestClock(1_000);
    await clock.advance(15 * 60_000);
    expect(clock.now()).toBe(901_000);
    await clock.advanceTo(500);
    expect(clock.now()).toBe(901_000);
  });

  it('refuses a negative or endless move', async () => {
    const clock = new TestClock();
    await expect(clock.advance(-1)).rejects.toThrow(RangeError);
    await expect(clock.advance(Number.POSITIVE_INFINITY)).rejects.toThrow(RangeError);
    await expect(clock.advance(Number.NaN)).rejects.toThrow(RangeError);
  });
});

describe('expiredReason', () => {
  const json = (status: number, body: unknown) =>
    new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

  it('reads fetch Responses: a 401 expired, a sign-out, an anonymous answer, a live one', async () => {
    expect(await expiredReason(json(401, { status: 'expired', reason: 'absolute' }))).toBe(
      'absolute',
    );
    expect(await expiredReason(json(401, { status: 'anonymous', reason: 'logout' }))).toBe(
      'logout',
    );
    expect(await expiredReason(json(401, { status: 'anonymous' }))).toBe('anonymous');
    expect(await expiredReason(json(200, { status: 'active' }))).toBeUndefined();
    expect(await expiredReason(new Response('nope', { status: 401 }))).toBeUndefined();
    const redirect = new Response(null, {
      status: 303,
      headers: { location: '/login?next=%2Freports&reason=idle' },
    });
    expect(await expiredReason(redirect)).toBe('idle');
  });

  it('leaves a Response it read unread for the test', async () => {
    const answer = json(401, { status: 'expired', reason: 'idle' });
    await expiredReason(answer);
    expect(await answer.json()).toEqual({ status: 'expired', reason: 'idle' });
  });

  it("reads supertest's and light-my-request's answers", async () => {
    expect(
      await expiredReason({
        status: 401,
        headers: {},
        body: { status: 'expired', reason: 'revoked' },
      }),
    ).toBe('revoked');
    expect(
      await expiredReason({
        statusCode: 401,
        headers: {},
        payload: '{"status":"expired","reason":"lost"}',
      }),
    ).toBe('lost');
    expect(
      await expiredReason({
        status: 303,
        headers: { location: 'https://app.example/login?reason=absolute' },
      }),
    ).toBe('absolute');
    expect(await expiredReason({ status: 303, headers: {} })).toBeUndefined();
  });
});
