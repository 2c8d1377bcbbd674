// Unit tests of src/core/tombstones.ts: ended sign-ins remembered until their deadline, in
// bounded memory.

import { describe, expect, it } from 'vitest';
import { Tombstones } from '../../../src/core/tombstones.js';

describe('Tombstones', () => {
  it('remembers a key as ended, with its reason, until its deadline and not after', () => {
    const ended = new Tombstones();
    ended.add('a', 0, 900_000, 'logout');
    expect(ended.find('a', 0)).toBe('logout');
    expect(ended.find('a', 899_999)).toBe('logout');
    expect(ended.find('a', 900_000)).toBeUndefined();
    expect(ended.find('b', 0)).toBeUndefined();
  });

  it('drops lapsed entries as new ones come, so memory follows the rate of sign-outs', () => {
    const ended = new Tombstones();
    for (let i = 0; i < 1000; i++) ended.add(`k${i}`, i * 1000, i * 1000 + 10_000, 'idle');
    // Entries live 10 s and come one a second: about ten are held at any time.
    expect(ended.size).toBeLessThanOrEqual(11);
    expect(ended.find('k999', 999_000)).toBe('idle');
    expect(ended.find('k980', 999_000)).toBeUndefined();
  });

  it('never forgets a key before its deadline, and counts the entries of each owner', () => {
    const ended = new Tombstones();
    for (let i = 0; i < 1000; i++) ended.add(`x${i}`, 0, 100, 'logout', 'mallory');
    ended.add('victim', 0, 100, 'logout', 'ada');
    ended.add('session', 0, 100, 'logout');
    for (let i = 0; i < 1000; i++) ended.add(`y${i}`, 50, 150, 'logout', 'mallory');
    expect(ended.find('victim', 99)).toBe('logout');
    expect(ended.countOf('mallory')).toBe(2000);
    expect(ended.countOf('ada')).toBe(1);
    expect(ended.owned).toBe(2001);
    expect(ended.size).toBe(2002);
    ended.add('z', 120, 300, 'idle', 'ada');
    // The front lapsed at 120: those entries are gone, their counts too.
    expect(ended.countOf('mallory')).toBe(1000);
    expect(ended.countOf('ada')).toBe(1);
    expect(ended.find('victim', 120)).toBeUndefined();
  });

  it('prunes a lapsed entry that waits behind a longer-lived one', () => {
    const ended = new Tombstones();
    ended.add('long', 0, 1000, 'idle', 'ada');
    ended.add('short', 0, 10, 'idle', 'bob');
    expect(ended.owned).toBe(2);
    ended.prune(11);
    expect(ended.owned).toBe(1);
    expect(ended.countOf('bob')).toBe(0);
    expect(ended.find('long', 11)).toBe('idle');
  });

  it('takes the newest deadline and reason when a key is added again', () => {
    const ended = new Tombstones();
    ended.add('a', 0, 100, 'idle');
    ended.add('a', 50, 500, 'logout');
    expect(ended.find('a', 200)).toBe('logout');
  });

  it('forgets a deleted key', () => {
    const ended = new Tombstones();
    ended.add('a', 0, 100, 'logout');
    ended.delete('a');
    expect(ended.find('a', 1)).toBeUndefined();
  });

  it('does what its TSDoc example says', () => {
    const ended = new Tombstones();
    ended.add('marker', 0, 900_000, 'logout', 'ada');
    expect(ended.find('marker', 1000)).toBe('logout');
    expect(ended.countOf('ada')).toBe(1);
    expect(ended.find('marker', 900_000)).toBeUndefined();
  });
});
