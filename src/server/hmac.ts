// HMAC-SHA256 in plain TypeScript, for the drafts key (src/server/drafts.ts). Synchronous because
// `clientTags` is, where WebCrypto's `crypto.subtle.sign` only resolves a promise; and without
// `node:crypto`, so that the `web` entry loads where there is none. Tested equal to Node's
// `createHmac` (test/unit/server/hmac.property.test.ts). The key's padded blocks are hashed once
// per key and kept, so a drafts key (a short message) costs two compressions.

const K = Int32Array.from([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

const INITIAL = Int32Array.from([
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
]);

const BLOCK_BYTES = 64;

/** The message schedule, reused by every block (the hash is synchronous: one at a time). */
const W = new Int32Array(64);

/** Folds one 64-byte block of `bytes` at `at` into the hash state `h` (FIPS 180-4, 6.2.2). */
function compress(h: Int32Array, bytes: Uint8Array, at: number): void {
  for (let t = 0; t < 16; t++) {
    const i = at + t * 4;
    W[t] =
      ((bytes[i] as number) << 24) |
      ((bytes[i + 1] as number) << 16) |
      ((bytes[i + 2] as number) << 8) |
      (bytes[i + 3] as number);
  }
  for (let t = 16; t < 64; t++) {
    const a = W[t - 15] as number;
    const b = W[t - 2] as number;
    const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
    const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
    W[t] = ((W[t - 16] as number) + s0 + (W[t - 7] as number) + s1) | 0;
  }
  let a = h[0] as number;
  let b = h[1] as number;
  let c = h[2] as number;
  let d = h[3] as number;
  let e = h[4] as number;
  let f = h[5] as number;
  let g = h[6] as number;
  let k = h[7] as number;
  for (let t = 0; t < 64; t++) {
    const s1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (k + s1 + ((e & f) ^ (~e & g)) + (K[t] as number) + (W[t] as number)) | 0;
    const s0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (s0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    k = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  h[0] = ((h[0] as number) + a) | 0;
  h[1] = ((h[1] as number) + b) | 0;
  h[2] = ((h[2] as number) + c) | 0;
  h[3] = ((h[3] as number) + d) | 0;
  h[4] = ((h[4] as number) + e) | 0;
  h[5] = ((h[5] as number) + f) | 0;
  h[6] = ((h[6] as number) + g) | 0;
  h[7] = ((h[7] as number) + k) | 0;
}

/**
 * Hashes the rest of a message into a state that has taken `before` bytes already (whole
 * blocks): its blocks, then the padding (a 1 bit, zeros, the length in bits).
 */
function finish(state: Int32Array, message: Uint8Array, before: number): Uint8Array {
  const h = state.slice();
  const total = before + message.length;
  const padded = new Uint8Array(Math.ceil((message.length + 9) / BLOCK_BYTES) * BLOCK_BYTES);
  padded.set(message);
  padded[message.length] = 0x80;
  const bits = total * 8;
  const end = padded.length;
  const high = Math.floor(bits / 2 ** 32);
  padded[end - 8] = high >>> 24;
  padded[end - 7] = high >>> 16;
  padded[end - 6] = high >>> 8;
  padded[end - 5] = high;
  padded[end - 4] = bits >>> 24;
  padded[end - 3] = bits >>> 16;
  padded[end - 2] = bits >>> 8;
  padded[end - 1] = bits;
  for (let at = 0; at < end; at += BLOCK_BYTES) compress(h, padded, at);
  const digest = new Uint8Array(32);
  for (let i = 0; i < 8; i++) {
    const word = h[i] as number;
    digest[i * 4] = word >>> 24;
    digest[i * 4 + 1] = word >>> 16;
    digest[i * 4 + 2] = word >>> 8;
    digest[i * 4 + 3] = word;
  }
  return digest;
}

/** SHA-256 of some bytes (FIPS 180-4). */
export function sha256(message: Uint8Array): Uint8Array {
  return finish(INITIAL, message, 0);
}

const encoder = new TextEncoder();

/** A key's inner and outer states: the hash after its padded block, XORed with 0x36 and 0x5c. */
interface KeyStates {
  inner: Int32Array;
  outer: Int32Array;
}

/** The states of the keys used lately (an app has one drafts secret: this stays tiny). */
const keyStates = new Map<string, KeyStates>();
const MAX_KEYS = 16;

function statesOf(key: string): KeyStates {
  const known = keyStates.get(key);
  if (known !== undefined) return known;
  let keyBytes: Uint8Array = encoder.encode(key);
  if (keyBytes.length > BLOCK_BYTES) keyBytes = sha256(keyBytes);
  const pad = (byte: number) => {
    const block = new Uint8Array(BLOCK_BYTES);
    for (let i = 0; i < BLOCK_BYTES; i++) block[i] = (keyBytes[i] ?? 0) ^ byte;
    const state = INITIAL.slice();
    compress(state, block, 0);
    return state;
  };
  const states = { inner: pad(0x36), outer: pad(0x5c) };
  if (keyStates.size >= MAX_KEYS) keyStates.clear();
  keyStates.set(key, states);
  return states;
}

/** HMAC-SHA256 (RFC 2104) of a UTF-8 message under a UTF-8 key. */
export function hmacSha256(key: string, message: string): Uint8Array {
  const { inner, outer } = statesOf(key);
  return finish(outer, finish(inner, encoder.encode(message), BLOCK_BYTES), BLOCK_BYTES);
}

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Bytes as base64url without padding (RFC 4648 §5), as Node's `digest('base64url')` gives. */
export function base64url(bytes: Uint8Array): string {
  let text = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const chunk = ((bytes[i] ?? 0) << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    const chars = Math.min(4, Math.ceil(((bytes.length - i) * 8) / 6));
    for (let c = 0; c < chars; c++) text += BASE64URL[(chunk >>> (18 - 6 * c)) & 63];
  }
  return text;
}
