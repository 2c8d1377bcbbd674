// The examples of the session-store guard shared by the adapters: `store`, a koa-session
// external store (its methods answer with promises) in memory, the guard of a store, and what a
// store's own "no such session" looks like.

import { guardSessionStore } from 'session-security/koa';
import { storeGuard } from '../../../src/server/store-guard.js';
import { pino } from '../context.js';
import { MemoryStore } from '../koa-stores.js';

export { guardSessionStore, pino };
export const store = new MemoryStore();
export const guard = storeGuard({ timeout: 1000 });
/** A file store's "no such session": passed on unchanged, not a failure of the store. */
export const isNotFound = (error: unknown) =>
  (error as { code?: unknown } | null)?.code === 'ENOENT';
