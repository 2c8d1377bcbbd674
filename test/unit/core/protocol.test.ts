// Unit tests of src/core/protocol.ts: the ping body, every answer of the README's ping protocol, the JSON
// content type check and the login redirect.

import { describe, expect, it } from 'vitest';
import type { ActiveStatus } from '../../../src/core/policy.js';
import {
  answers,
  isJsonContentType,
  loginLocation,
  MAX_BODY_BYTES,
  parsePingBody,
} from '../../../src/core/protocol.js';

describe('parsePingBody accepts', () => {
  it.each([
    ['{"sinceActivity": 0}', 0],
    ['{"sinceActivity": 12.5}', 12.5],
    ['{"sinceActivity": 1e9}', 1e9],
    ['{"sinceActivity": 3, "tab": "a", "extra": [1, {"b": 2}]}', 3],
    [' \n{ "sinceActivity" : 7 }\n ', 7],
    ['{"a":{"sinceActivity":1},"sinceActivity":2}', 2],
    ['{"note":"\\"sinceActivity\\":","sinceActivity":3}', 3],
    ['{"note":"}]{[","sinceActivity":4}', 4],
    ['{"list":[{"sinceActivity":1}],"sinceActivity":5}', 5],
  ])('%s as sinceActivity %s', (body, seconds) => {
    expect(parsePingBody(body)).toEqual({ ok: true, sinceActivitySeconds: seconds, extend: false });
  });

  it.each([
    ['{"sinceActivity": 0, "extend": true}', true],
    ['{"extend": false, "sinceActivity": 0}', false],
    ['{"sinceActivity": 0, "a": {"extend": 5}}', false],
  ])('%s as extend %s', (body, extend) => {
    expect(parsePingBody(body)).toEqual({ ok: true, sinceActivitySeconds: 0, extend });
  });
});

describe('parsePingBody refuses an extend that is not one boolean', () => {
  it.each([
    ['a string', '{"sinceActivity":0,"extend":"true"}'],
    ['a number', '{"sinceActivity":0,"extend":1}'],
    ['null', '{"sinceActivity":0,"extend":null}'],
    ['an object', '{"sinceActivity":0,"extend":{}}'],
    ['a duplicate', '{"sinceActivity":0,"extend":false,"extend":true}'],
    [
      'a duplicate written with an escape',
      '{"sinceActivity":0,"extend":false,"\\u0065xtend":true}',
    ],
  ])('%s', (_label, body) => {
    const result = parsePingBody(body);
    expect(result).toMatchObject({ ok: false });
    if (!result.ok) expect(result.error).toContain('extend');
  });
});

describe('parsePingBody rejects, saying what is expected', () => {
  it.each([
    ['an empty body', ''],
    ['a blank body', '   '],
    ['text that is not JSON', 'not json'],
    ['an array', '[]'],
    ['a string', '"5"'],
    ['a number', '5'],
    ['null', 'null'],
    ['an object without sinceActivity', '{}'],
    ['a string sinceActivity', '{"sinceActivity":"5"}'],
    ['a null sinceActivity', '{"sinceActivity":null}'],
    ['a negative sinceActivity', '{"sinceActivity":-1}'],
    ['an object sinceActivity', '{"sinceActivity":{"a":1}}'],
    ['an array sinceActivity', '{"sinceActivity":[1]}'],
    ['a boolean sinceActivity', '{"sinceActivity":true}'],
    ['a sinceActivity that overflows to Infinity', '{"sinceActivity":1e400}'],
    ['a duplicated sinceActivity', '{"sinceActivity":1,"sinceActivity":2}'],
    ['a duplicate written with an escape', '{"sinceActivity":1,"\\u0073inceActivity":2}'],
    ['a sinceActivity only in a nested object', '{"a":{"sinceActivity":1}}'],
    ['a truncated object', '{"sinceActivity":1'],
  ])('%s', (_label, body) => {
    const result = parsePingBody(body);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toContain('sinceActivity');
  });

  it('says when sinceActivity is missing', () => {
    expect(parsePingBody('{}')).toMatchObject({
      ok: false,
      error: expect.stringContaining('missing'),
    });
  });

  it('says how many times a duplicated sinceActivity appears', () => {
    expect(parsePingBody('{"sinceActivity":1,"sinceActivity":2}')).toMatchObject({
      ok: false,
      error: expect.stringContaining('appears 2 times'),
    });
  });

  it('shows the received value of a wrong sinceActivity', () => {
    expect(parsePingBody('{"sinceActivity":"5"}')).toMatchObject({
      ok: false,
      error: expect.stringContaining('sinceActivity ("5")'),
    });
  });
});

describe('answers', () => {
  const status: ActiveStatus = {
    status: 'active',
    idleFor: 10,
    warnIn: 770,
    expireIn: 890,
    expireAfter: 900,
    warnAfter: 780,
    absolute: false,
    session: 'sign-in-1',
  };

  it('answers an active session with 200 and its status', () => {
    expect(answers.active(status)).toEqual({
      status: 200,
      headers: { 'cache-control': 'no-store' },
      body: status,
    });
  });

  it.each(['idle', 'absolute'] as const)('answers a session expired (%s) with 401', (reason) => {
    expect(answers.expired(reason)).toEqual({
      status: 401,
      headers: { 'cache-control': 'no-store' },
      body: { status: 'expired', reason },
    });
  });

  it('answers an anonymous request with 401 {"status":"anonymous"}', () => {
    expect(answers.anonymous()).toEqual({
      status: 401,
      headers: { 'cache-control': 'no-store' },
      body: { status: 'anonymous' },
    });
  });

  it('answers a sign-out with 200 {"status":"anonymous"}', () => {
    expect(answers.signedOut()).toEqual({
      status: 200,
      headers: { 'cache-control': 'no-store' },
      body: { status: 'anonymous' },
    });
  });

  it('answers a malformed request with 400 and the error', () => {
    expect(answers.badRequest('sinceActivity is missing')).toEqual({
      status: 400,
      headers: { 'cache-control': 'no-store' },
      body: { status: 'error', error: 'sinceActivity is missing' },
    });
  });

  it('answers a cross-origin request with 403 and the reason', () => {
    expect(answers.forbidden('foreign origin')).toEqual({
      status: 403,
      headers: { 'cache-control': 'no-store' },
      body: { status: 'error', error: 'foreign origin' },
    });
  });

  it('answers an unknown route with 404 naming it and the routes', () => {
    const answer = answers.notFound('/pong');
    expect(answer.status).toBe(404);
    expect(answer.headers).toEqual({ 'cache-control': 'no-store' });
    expect(answer.body.status).toBe('error');
    expect(answer.body.error).toContain('"/pong"');
    expect(answer.body.error).toContain('/ping');
    expect(answer.body.error).toContain('/logout');
  });

  it('answers PUT on /ping with 405 and Allow: GET, POST', () => {
    const answer = answers.methodNotAllowed('/ping', 'PUT');
    expect(answer.status).toBe(405);
    expect(answer.headers).toEqual({ 'cache-control': 'no-store', allow: 'GET, POST' });
    expect(answer.body.status).toBe('error');
    expect(answer.body.error).toContain('PUT is not allowed on /ping');
  });

  it('answers GET on /logout with 405 and Allow: POST', () => {
    const answer = answers.methodNotAllowed('/logout', 'GET');
    expect(answer.status).toBe(405);
    expect(answer.headers).toEqual({ 'cache-control': 'no-store', allow: 'POST' });
    expect(answer.body.error).toContain('GET is not allowed on /logout');
  });

  it('answers a body over 1 KB with 413', () => {
    const answer = answers.tooLarge();
    expect(MAX_BODY_BYTES).toBe(1024);
    expect(answer.status).toBe(413);
    expect(answer.headers).toEqual({ 'cache-control': 'no-store' });
    expect(answer.body.status).toBe('error');
    expect(answer.body.error).toContain('1024 bytes');
  });

  it('answers a non-JSON Content-Type with 415 naming it', () => {
    const answer = answers.unsupportedMediaType('text/plain');
    expect(answer.status).toBe(415);
    expect(answer.headers).toEqual({ 'cache-control': 'no-store' });
    expect(answer.body.error).toContain('"text/plain"');
    expect(answer.body.error).toContain('application/json');
  });

  it('answers a missing Content-Type with 415 saying it is missing', () => {
    const answer = answers.unsupportedMediaType(undefined);
    expect(answer.status).toBe(415);
    expect(answer.body.error).toContain('is missing');
  });

  it('answers a store failure with 503', () => {
    const answer = answers.unavailable();
    expect(answer.status).toBe(503);
    expect(answer.headers).toEqual({ 'cache-control': 'no-store' });
    expect(answer.body.status).toBe('error');
  });

  it('gives every answer Cache-Control: no-store', () => {
    const all = [
      answers.active(status),
      answers.expired('idle'),
      answers.anonymous(),
      answers.signedOut(),
      answers.badRequest('x'),
      answers.forbidden('x'),
      answers.notFound('/x'),
      answers.methodNotAllowed('/ping', 'PUT'),
      answers.tooLarge(),
      answers.unsupportedMediaType('text/plain'),
      answers.unavailable(),
    ];
    for (const answer of all) expect(answer.headers['cache-control']).toBe('no-store');
  });

  it('gives each answer its own headers, so changing one leaves the next intact', () => {
    const first = answers.anonymous();
    first.headers['cache-control'] = 'public';
    expect(answers.anonymous().headers['cache-control']).toBe('no-store');
  });
});

describe('isJsonContentType', () => {
  it.each([
    ['application/json', true],
    ['application/json; charset=utf-8', true],
    ['Application/JSON ; charset=UTF-8', true],
    ['text/plain', false],
    ['application/jsonp', false],
    ['application/x-www-form-urlencoded', false],
    ['multipart/form-data; boundary=x', false],
    ['', false],
    [undefined, false],
  ])('%j is JSON: %s', (contentType, expected) => {
    expect(isJsonContentType(contentType)).toBe(expected);
  });
});

describe('loginLocation', () => {
  it('leaves next out when there is no page to return to', () => {
    expect(loginLocation('/login', undefined, 'idle')).toBe('/login?reason=idle');
  });

  it('adds the path and query as next, and the reason', () => {
    expect(loginLocation('/login', '/a?b=1', 'idle')).toBe('/login?next=%2Fa%3Fb%3D1&reason=idle');
  });

  it('keeps the query of a loginUrl that has one', () => {
    expect(loginLocation('/accounts/login?lang=fr', '/reports', 'absolute')).toBe(
      '/accounts/login?lang=fr&next=%2Freports&reason=absolute',
    );
  });

  it('keeps an absolute loginUrl absolute', () => {
    expect(loginLocation('https://sso.example.com/login', '/a', 'idle')).toBe(
      'https://sso.example.com/login?next=%2Fa&reason=idle',
    );
  });

  it('keeps a relative loginUrl relative to this site', () => {
    expect(loginLocation('/login', '/', 'idle').startsWith('/login?')).toBe(true);
  });
});
