// A software WebAuthn authenticator for unit tests of session-security/passkeys: it makes a
// passkey (an ES256 key, attestation "none") and signs in with it, building the browser's
// `toJSON()` answers byte by byte (WebAuthn Level 3, 6.1 and 6.5; CBOR by hand for the few shapes
// needed). Each part can be spoiled by a test: the origin, the challenge, the flags, the counter.

import { createHash, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';

const b64url = (bytes: Uint8Array | Buffer): string => Buffer.from(bytes).toString('base64url');
const sha256 = (bytes: Uint8Array | string): Buffer => createHash('sha256').update(bytes).digest();

/** CBOR's head of a major type with a length or value (RFC 8949, 3.1). */
function head(major: number, value: number): number[] {
  if (value < 24) return [(major << 5) | value];
  if (value < 256) return [(major << 5) | 24, value];
  return [(major << 5) | 25, value >> 8, value & 0xff];
}
const text = (value: string) => [...head(3, value.length), ...Buffer.from(value)];
const bytes = (value: Uint8Array) => [...head(2, value.length), ...value];

/** User present and user verified; AT: attested credential data follows. */
export const FLAGS = { UP: 0x01, UV: 0x04, AT: 0x40 } as const;

export interface Answer {
  id: string;
  rawId: string;
  type: 'public-key';
  response: Record<string, string | string[]>;
  clientExtensionResults: Record<string, never>;
}

/** What a test may spoil in one answer. */
export interface Spoil {
  origin?: string;
  rpId?: string;
  type?: string;
  flags?: number;
  counter?: number;
  userHandle?: string | undefined;
  /** Signs with another key than the passkey's. */
  wrongKey?: boolean;
}

export class SoftAuthenticator {
  private readonly privateKey: KeyObject;
  private readonly cose: number[];
  readonly credentialId = b64url(Buffer.from(`credential ${Math.random()}`));
  counter = 0;

  constructor(
    readonly rpId: string,
    readonly origin: string,
    /** How much the counter moves at each sign-in (0: a synced passkey that counts nothing). */
    readonly step = 1,
  ) {
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.privateKey = pair.privateKey;
    const jwk = pair.publicKey.export({ format: 'jwk' });
    const x = Buffer.from(jwk.x as string, 'base64url');
    const y = Buffer.from(jwk.y as string, 'base64url');
    // { 1: 2 (EC2), 3: -7 (ES256), -1: 1 (P-256), -2: x, -3: y }
    this.cose = [0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, ...bytes(x), 0x22, ...bytes(y)];
  }

  private clientData(kind: string, challenge: string, spoil: Spoil): Buffer {
    return Buffer.from(
      JSON.stringify({
        type: spoil.type ?? kind,
        challenge,
        origin: spoil.origin ?? this.origin,
        crossOrigin: false,
      }),
    );
  }

  private authData(flags: number, counter: number, rpId: string, extra: number[] = []): Buffer {
    const count = Buffer.alloc(4);
    count.writeUInt32BE(counter);
    return Buffer.concat([sha256(rpId), Buffer.from([flags]), count, Buffer.from(extra)]);
  }

  /** The answer to `navigator.credentials.create()` with these options (their `challenge`). */
  register(options: { challenge: string }, spoil: Spoil = {}): Answer {
    const id = Buffer.from(this.credentialId, 'base64url');
    const attested = [
      ...new Array(16).fill(0),
      id.length >> 8,
      id.length & 0xff,
      ...id,
      ...this.cose,
    ];
    const authData = this.authData(
      spoil.flags ?? FLAGS.UP | FLAGS.UV | FLAGS.AT,
      spoil.counter ?? this.counter,
      spoil.rpId ?? this.rpId,
      attested,
    );
    const attestation = Buffer.from([
      0xa3,
      ...text('fmt'),
      ...text('none'),
      ...text('attStmt'),
      0xa0,
      ...text('authData'),
      ...bytes(authData),
    ]);
    return {
      id: this.credentialId,
      rawId: this.credentialId,
      type: 'public-key',
      response: {
        clientDataJSON: b64url(this.clientData('webauthn.create', options.challenge, spoil)),
        attestationObject: b64url(attestation),
        transports: ['internal'],
      },
      clientExtensionResults: {},
    };
  }

  /** The answer to `navigator.credentials.get()` with these options, signed by the passkey. */
  signIn(options: { challenge: string }, userId: string, spoil: Spoil = {}): Answer {
    if (spoil.counter === undefined) this.counter += this.step;
    const authData = this.authData(
      spoil.flags ?? FLAGS.UP | FLAGS.UV,
      spoil.counter ?? this.counter,
      spoil.rpId ?? this.rpId,
    );
    const clientData = this.clientData('webauthn.get', options.challenge, spoil);
    const key = spoil.wrongKey
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey
      : this.privateKey;
    const signature = sign('sha256', Buffer.concat([authData, sha256(clientData)]), {
      key,
      dsaEncoding: 'der',
    });
    const handle = 'userHandle' in spoil ? spoil.userHandle : b64url(Buffer.from(userId));
    return {
      id: this.credentialId,
      rawId: this.credentialId,
      type: 'public-key',
      response: {
        clientDataJSON: b64url(clientData),
        authenticatorData: b64url(authData),
        signature: b64url(signature),
        ...(handle === undefined ? {} : { userHandle: handle }),
      },
      clientExtensionResults: {},
    };
  }
}
