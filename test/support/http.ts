// Test support: real HTTP on 127.0.0.1 with node:http, so tests can send the exact headers a
// browser sends (fetch always adds Sec-Fetch-Mode: cors), and a cookie jar.

import {
  type ClientRequest,
  createServer as createHttpServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type RequestListener,
} from 'node:http';
import { type AddressInfo, createServer } from 'node:net';

/** A port of 127.0.0.1 that was free a moment ago, for a server that cannot be told to pick one. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts a server that must be given its port (it reads 0 as a default of its own) on a port of
 * 127.0.0.1 that was free a moment ago; when another process took it first (EADDRINUSE), tries
 * another, three times at most.
 */
export async function onFreePort<T>(start: (port: number) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    try {
      return await start(port);
    } catch (error) {
      if (attempt >= 3 || (error as { code?: unknown })?.code !== 'EADDRINUSE') throw error;
    }
  }
}

/** Listens on 127.0.0.1, port 0; resolves with the base URL and a close function. */
export async function listen(
  handler: RequestListener,
): Promise<{ origin: string; close: () => Promise<void> }> {
  const server = createHttpServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** The body parsed as JSON (undefined when it is not JSON). */
  json: Record<string, unknown> | undefined;
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

/** Cookies of one browser: sent with each request, updated from each answer. */
export class CookieJar {
  readonly cookies = new Map<string, string>();

  header(): string | undefined {
    if (this.cookies.size === 0) return undefined;
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  store(setCookie: string[] | undefined): void {
    for (const line of setCookie ?? []) {
      const [pair = ''] = line.split(';');
      const at = pair.indexOf('=');
      const name = pair.slice(0, at).trim();
      const value = pair.slice(at + 1).trim();
      if (/expires=Thu, 01 Jan 1970/i.test(line) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  clone(): CookieJar {
    const copy = new CookieJar();
    for (const [name, value] of this.cookies) copy.cookies.set(name, value);
    return copy;
  }
}

/**
 * A request whose body arrives in two parts: the first at once, the rest when the test calls
 * `finish()`. The server has the request in flight in between (its middleware has run).
 */
export function sendSlowly(
  origin: string,
  path: string,
  options: RequestOptions & { body: string },
  jar?: CookieJar,
): { reply: Promise<Reply>; finish: () => void } {
  const half = Math.floor(options.body.length / 2);
  let finish = () => {};
  const reply = send(origin, path, options, jar, (req) => {
    req.write(options.body.slice(0, half));
    finish = () => req.end(options.body.slice(half));
  });
  return { reply, finish: () => finish() };
}

/** One HTTP request; a jar, when given, sends and keeps cookies. */
export function send(
  origin: string,
  path: string,
  options: RequestOptions = {},
  jar?: CookieJar,
  writeBody?: (req: ClientRequest) => void,
): Promise<Reply> {
  const headers: Record<string, string> = { ...options.headers };
  const cookie = jar?.header();
  if (cookie && headers.cookie === undefined) headers.cookie = cookie;
  if (options.body !== undefined && headers['content-length'] === undefined) {
    headers['content-length'] = String(Buffer.byteLength(options.body));
  }
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      new URL(path, origin),
      { method: options.method ?? 'GET', headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          jar?.store(res.headers['set-cookie']);
          const text = Buffer.concat(chunks).toString('utf8');
          let json: Record<string, unknown> | undefined;
          try {
            json = JSON.parse(text) as Record<string, unknown>;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (writeBody) return writeBody(req);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

/** Headers a browser sends for a top-level navigation the user made on this site. */
export const NAVIGATE = {
  accept: 'text/html,application/xhtml+xml',
  'sec-fetch-mode': 'navigate',
  'sec-fetch-site': 'same-origin',
  'sec-fetch-dest': 'document',
  'sec-fetch-user': '?1',
};

/** Headers a browser sends for a same-origin fetch() from a page. */
export const SAME_ORIGIN_FETCH = {
  accept: '*/*',
  'sec-fetch-mode': 'cors',
  'sec-fetch-site': 'same-origin',
  'sec-fetch-dest': 'empty',
};

/** A clock the test moves by hand. */
export class FakeClock {
  constructor(public ms = 1_700_000_000_000) {}
  now(): number {
    return this.ms;
  }
  advance(seconds: number): void {
    this.ms += seconds * 1000;
  }
}
