// The demo's audit trail: refused requests counted, with a bounded number of keys, and written
// once a minute; the events of sign-ins written one line each and kept for the /audit page.

import type { SessionSecurityEvent } from 'session-security';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AUDIT_MEMORY, auditTrail } from '../../examples/demo/audit.js';

const refused = (path: string): SessionSecurityEvent => ({
  type: 'refused',
  at: 0,
  reason: 'not-found',
  method: 'GET',
  path,
});
const signedIn = (signIn: string): SessionSecurityEvent => ({
  type: 'signed-in',
  at: 0,
  signIn,
  userId: 'ada',
  expireAfter: 900,
  warnAfter: 780,
  absoluteTimeout: 0,
});

afterEach(() => {
  vi.useRealTimers();
});

describe("the demo's audit trail", () => {
  it('counts refused requests and writes them once a minute as one line', () => {
    vi.useFakeTimers();
    const lines: string[] = [];
    const trail = auditTrail(
      (line) => lines.push(line),
      () => 1_000,
    );
    for (let i = 0; i < 1000; i++) trail.record(refused('/session-security/x'));
    expect(lines).toEqual([]);
    vi.advanceTimersByTime(60_000);
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]?.slice('audit '.length) ?? '')).toEqual({
      type: 'refused',
      at: 1_000,
      counts: { 'not-found GET /session-security/x': 1000 },
    });
    vi.advanceTimersByTime(60_000);
    expect(lines, 'nothing counted since: no line').toHaveLength(1);
    trail.stop();
  });

  it('keeps at most 100 distinct paths between two flushes; the others share one count', () => {
    const lines: string[] = [];
    const trail = auditTrail((line) => lines.push(line));
    for (let i = 0; i < 50_000; i++) trail.record(refused(`/session-security/${i}`));
    trail.stop();
    const counts = (JSON.parse(lines[0]?.slice('audit '.length) ?? '') as { counts: object })
      .counts as Record<string, number>;
    expect(Object.keys(counts)).toHaveLength(101);
    expect(counts['not-found GET (other paths)']).toBe(49_900);
  });

  it('keeps the events of sign-ins on the page whatever the number of refused requests', () => {
    const trail = auditTrail();
    trail.record(signedIn('a'));
    for (let i = 0; i < 10 * AUDIT_MEMORY; i++) trail.record(refused('/session-security/x'));
    expect(trail.recent().map((event) => event.type)).toEqual(['signed-in']);
    trail.stop();
  });
});
