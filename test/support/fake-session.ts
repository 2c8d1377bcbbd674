// A session as a store reaches it (SessionAccess), held in memory: for tests and benchmarks that
// drive an activity store without a framework. No Vitest import: the benchmarks load it too.

import type { SessionAccess } from '../../src/core/store.js';

/** One session: its id and what session-security keeps in it. A class, so thousands weigh little. */
export class FakeSession implements SessionAccess {
  value: unknown;
  constructor(readonly sid: string) {}
  exists() {
    return true;
  }
  id() {
    return this.sid;
  }
  read() {
    return this.value;
  }
  write(value: unknown) {
    this.value = value;
  }
  clear() {
    this.value = undefined;
  }
  async end() {
    this.value = undefined;
  }
  /** A copy of this session as a request in flight holds it (and may save back). */
  copy(): FakeSession {
    const copy = new FakeSession(this.sid);
    copy.value = this.value;
    return copy;
  }
}

/**
 * A session as an adapter hands it to a store, whose value lives in `shared`: sessions made on
 * the same `shared` are one session seen by two instances (each its own store).
 */
export function fakeSession(shared: { value: unknown } = { value: undefined }) {
  const session: SessionAccess = {
    exists: () => true,
    id: () => 'framework-session-id',
    read: () => shared.value,
    write(next) {
      shared.value = next;
    },
    clear() {
      shared.value = undefined;
    },
    async end() {
      shared.value = undefined;
    },
  };
  return { session, shared };
}
