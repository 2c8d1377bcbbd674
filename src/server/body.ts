// Reading a request body for the Node adapters (Express, Fastify, Koa), up to a byte limit: from
// the stream, or from what a body parser that ran first left. Holds no policy.

import type { IncomingMessage } from 'node:http';
import type { BodyRead } from './lifecycle.js';

/**
 * Reads the body of a Node request up to `limitBytes`: `tooLarge` when its Content-Length or its
 * bytes go past the limit (the rest is discarded, never buffered), `aborted` when the client
 * hangs up or the stream fails, else its text.
 *
 * @example
 * ```ts
 * const body = await readNodeBody(req, 1024);
 * if (body.kind === 'tooLarge') res.status(413).end();
 * ```
 */
export function readNodeBody(req: IncomingMessage, limitBytes: number): Promise<BodyRead> {
  if (Number(req.headers['content-length'] ?? 0) > limitBytes) {
    return Promise.resolve({ kind: 'tooLarge' });
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limitBytes) {
        cleanup();
        req.resume(); // discard the rest so the connection can be reused
        resolve({ kind: 'tooLarge' });
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve({ kind: 'text', text: Buffer.concat(chunks).toString('utf8') });
    };
    // A client that hangs up mid-body is no server error: nothing to log, nobody to answer.
    const onAborted = () => {
      cleanup();
      resolve({ kind: 'aborted' });
    };
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onAborted);
      req.off('close', onAborted);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onAborted);
    req.on('close', onAborted);
  });
}

/**
 * The body as a body parser that ran first left it, once the stream is spent: its raw text when
 * the parser kept one (duplicated keys intact), else the parsed value, a string as it is and
 * anything else as JSON (duplicated keys already merged: mount session-security first).
 *
 * @param rawText - the raw text the parser kept, if any (koa's `ctx.request.rawBody`)
 * @param parsed - what the parser made of it (`req.body`, koa's `ctx.request.body`)
 * @example
 * ```ts
 * const body = req.readableEnded // a body parser ran first
 *   ? bodyParsedEarlier(undefined, req.body, 1024)
 *   : await readNodeBody(req, 1024);
 * ```
 */
export function bodyParsedEarlier(rawText: unknown, parsed: unknown, limitBytes: number): BodyRead {
  const text =
    typeof rawText === 'string'
      ? rawText
      : typeof parsed === 'string' || parsed === undefined
        ? (parsed ?? '')
        : JSON.stringify(parsed);
  return Buffer.byteLength(text) > limitBytes ? { kind: 'tooLarge' } : { kind: 'text', text };
}
