// The drafts key's HMAC-SHA256, written in TypeScript so the `web` entry needs no node:crypto,
// must equal Node's for every key and message: a wrong key would orphan every user's drafts.

import { createHash, createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { draftKey } from '../../../src/server/drafts.js';
import { base64url, hmacSha256, sha256 } from '../../../src/server/hmac.js';

// Any UTF-16 text, lone surrogates included (both sides encode them as U+FFFD).
const text = (maxLength: number) => fc.string({ unit: 'binary', maxLength });

describe('hmacSha256', () => {
  it('equals node:crypto for any key and message, across block boundaries', () => {
    fc.assert(
      fc.property(text(200), text(300), (key, message) => {
        const expected = createHmac('sha256', key).update(message).digest();
        expect(Buffer.from(hmacSha256(key, message))).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });

  it('equals node:crypto at every length around the 64-byte block and the 55-byte padding edge', () => {
    for (let length = 0; length <= 130; length++) {
      const message = 'm'.repeat(length);
      expect(Buffer.from(sha256(new TextEncoder().encode(message)))).toEqual(
        createHash('sha256').update(message).digest(),
      );
      const key = 'k'.repeat(length);
      expect(Buffer.from(hmacSha256(key, message))).toEqual(
        createHmac('sha256', key).update(message).digest(),
      );
    }
  });

  it('gives the RFC 4231 test case 2 value', () => {
    expect(Buffer.from(hmacSha256('Jefe', 'what do ya want for nothing?')).toString('hex')).toBe(
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
  });
});

describe('base64url', () => {
  it("equals Node's base64url for any bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        expect(base64url(bytes)).toBe(Buffer.from(bytes).toString('base64url'));
      }),
      { numRuns: 500 },
    );
  });
});

describe('draftKey', () => {
  it('is the keyed hash it was with node:crypto, so drafts saved before stay readable', () => {
    fc.assert(
      fc.property(text(80), text(80), (secret, userId) => {
        const before = createHmac('sha256', secret)
          .update(`session-security drafts\0${userId}`)
          .digest('base64url');
        expect(draftKey(secret, userId)).toBe(before);
      }),
    );
  });
});
