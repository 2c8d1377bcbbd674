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

  it('holds at most its bound, dropping the oldest and saying so', () => {
    const ended = new Tombstones(3);
    expect(ended.add('a', 0, 100, 'logout')).toBe(true);
    expect(ended.add('b', 0, 100, 'logout')).toBe(true);
    expect(ended.add('c', 0, 100, 'logout')).toBe(true);
    expect(ended.add('d', 0, 100, 'logout')).toBe(false);
    expect(ended.size).toBe(3);
    expect(ended.find('a', 1)).toBeUndefined();
    expect(ended.find('d', 1)).toBe('logout');
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
});
