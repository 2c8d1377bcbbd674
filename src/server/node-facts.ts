// What the Node adapters (Express, Fastify, Koa, plain node:http) share to describe a request to
// the lifecycle: one class of request facts over Node's headers, told by each adapter where the
// app's origin and the body come from (the framework's trusted-proxy settings and body parsers).

import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { HeaderGetter } from '../core/request.js';
import { readNodeBody } from './body.js';
import type { BodyRead, RequestFacts } from './lifecycle.js';

/** Reads a header by its lower-case name; repeated headers are joined as HTTP joins them. */
export function nodeHeaderGetter(headers: IncomingHttpHeaders): HeaderGetter {
  return (name) => {
    const value = headers[name];
    return Array.isArray(value) ? value.join(', ') : value;
  };
}

/** The origin of `protocol://host` (as the framework's trusted-proxy settings give them), or '' without a usable host. */
export function originOf(protocol: string, host: string | undefined): string {
  try {
    return new URL(`${protocol}://${host}`).origin;
  } catch {
    return ''; // no usable Host: no Origin can match it
  }
}

/**
 * How one framework's requests give what is not in Node's request line and headers: the app's
 * origin (worked out only when a check needs it: most requests carry no `Origin`) and the body.
 */
export interface NodeRequestSource<Req> {
  origin(req: Req): string;
  readBody(req: Req, limitBytes: number): Promise<BodyRead>;
}

/**
 * A Node request's facts for the lifecycle. A class, not an object of closures: it is made for
 * every request, and its methods are shared.
 */
export class NodeFacts<Req> implements RequestFacts<Req> {
  readonly header: HeaderGetter;
  #origin: string | undefined;
  /**
   * @param path - the path without the query, as routes and passive rules see it
   * @param url - the path and query, for the `next` of a login redirect
   */
  constructor(
    readonly req: Req,
    readonly method: string,
    readonly path: string,
    readonly url: string,
    headers: IncomingHttpHeaders,
    private readonly source: NodeRequestSource<Req>,
  ) {
    this.header = nodeHeaderGetter(headers);
  }
  get appOrigin(): string {
    this.#origin ??= this.source.origin(this.req);
    return this.#origin;
  }
  readBody(limitBytes: number): Promise<BodyRead> {
    return this.source.readBody(this.req, limitBytes);
  }
}

/** The path of a request target, without its query. */
export function pathOf(url: string): string {
  const query = url.indexOf('?');
  return query < 0 ? url : url.slice(0, query);
}

/**
 * Where a plain node:http request came from: `http`, or `https` on a TLS socket; with
 * `trustProxy`, the first `X-Forwarded-Proto` and `X-Forwarded-Host` (only behind a proxy that
 * sets both and overwrites what clients send).
 */
function plainOrigin(req: IncomingMessage, trustProxy: boolean): string {
  const first = (name: string) => nodeHeaderGetter(req.headers)(name)?.split(',')[0]?.trim();
  const tls = (req.socket as { encrypted?: boolean }).encrypted === true;
  const protocol = (trustProxy && first('x-forwarded-proto')) || (tls ? 'https' : 'http');
  return originOf(protocol, (trustProxy && first('x-forwarded-host')) || req.headers.host);
}

const plain: NodeRequestSource<IncomingMessage> = {
  origin: (req) => plainOrigin(req, false),
  readBody: (req, limitBytes) => readNodeBody(req, limitBytes),
};
const plainBehindProxy: NodeRequestSource<IncomingMessage> = {
  origin: (req) => plainOrigin(req, true),
  readBody: plain.readBody,
};

/**
 * The facts of a plain `node:http` request, read straight from it (for an adapter of a framework
 * that hands on Node's own request).
 *
 * @param options.trustProxy - take the origin from `X-Forwarded-Proto` and `X-Forwarded-Host`
 * @example
 * ```ts
 * const outcome = await lifecycle.handle(nodeRequestFacts(req), session);
 * ```
 */
export function nodeRequestFacts<Req extends IncomingMessage>(
  req: Req,
  options: { trustProxy?: boolean } = {},
): RequestFacts<Req> {
  const url = req.url ?? '/';
  const source = (options.trustProxy ? plainBehindProxy : plain) as NodeRequestSource<Req>;
  return new NodeFacts(req, req.method ?? 'GET', pathOf(url), url, req.headers, source);
}
