// What the Node adapters (Express, Fastify, Koa) share to describe a request to the lifecycle:
// header lookup on Node's headers, and the app's origin from the framework's protocol and host.

import type { IncomingHttpHeaders } from 'node:http';
import type { HeaderGetter } from '../core/request.js';

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
