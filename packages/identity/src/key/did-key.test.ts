import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SMALL_ORDER_ENCODINGS } from '../../test/ed25519-forge.js';
import { fromBase58, toBase58 } from './base58.js';
import { fromHex, toHex } from '@agentguard/statement';
import { didToPublicKey, publicKeyToDid } from './did-key.js';
import { publicKeyOf } from '../ed25519/ed25519.js';
import { IdentityError } from '../errors.js';

/**
 * The did:key method's Ed25519 test vectors: seed -> did -> publicKeyBase58.
 * Source: w3c-ccg/did-method-key, test-vectors/ed25519-x25519.json
 * (https://github.com/w3c-ccg/did-method-key/blob/main/test-vectors/ed25519-x25519.json).
 */
const DID_KEY_VECTORS: ReadonlyArray<readonly [seed: string, did: string, publicKeyBase58: string]> = [
  [
    '0000000000000000000000000000000000000000000000000000000000000000',
    'did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp',
    '4zvwRjXUKGfvwnParsHAS3HuSVzV5cA4McphgmoCtajS',
  ],
  [
    '0000000000000000000000000000000000000000000000000000000000000001',
    'did:key:z6MkjchhfUsD6mmvni8mCdXHw216Xrm9bQe2mBH1P5RDjVJG',
    '6ASf5EcmmEHTgDJ4X4ZT5vT6iHVJBXPg5AN5YoTCpGWt',
  ],
  [
    '0000000000000000000000000000000000000000000000000000000000000002',
    'did:key:z6MknGc3ocHs3zdPiJbnaaqDi58NGb4pk1Sp9WxWufuXSdxf',
    '8pM1DN3RiT8vbom5u1sNryaNT1nyL8CTTW3b5PwWXRBH',
  ],
  [
    '0000000000000000000000000000000000000000000000000000000000000003',
    'did:key:z6MkvqoYXQfDDJRv8L4wKzxYeuKyVZBfi9Qo6Ro8MiLH3kDQ',
    'HPYVwAQmskwT1qEEeRzhoomyfyupJGASQQtCXSNG8XS2',
  ],
  [
    '0000000000000000000000000000000000000000000000000000000000000004',
    'did:key:z6MkwW6aqMnjgrhJXFUko3NnZPGzVpkNzhYK7yEhnsibmLwL',
    'J3qYF7YJMKCqQke47UQwiHizgFUXapHxRxKmxbkar89x',
  ],
];

describe('did:key', () => {
  it.each(DID_KEY_VECTORS)('w3c-ccg did:key vector for seed %s', (seed, did, base58) => {
    const publicKey = publicKeyOf(fromHex(seed));
    expect(toBase58(publicKey)).toBe(base58);
    expect(publicKeyToDid(publicKey)).toBe(did);
    expect(didToPublicKey(did)).toEqual(publicKey);
    // A verification method id (did#fragment repeating the key) resolves to the same key.
    expect(didToPublicKey(`${did}#${did.slice('did:key:'.length)}`)).toEqual(publicKey);
  });

  it('round-trips every valid key (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (seed) => {
        const publicKey = publicKeyOf(seed);
        const did = publicKeyToDid(publicKey);
        expect(did).toMatch(/^did:key:z6Mk[1-9A-HJ-NP-Za-km-z]{44}$/);
        expect(didToPublicKey(did)).toEqual(publicKey);
      }),
      { numRuns: 100 },
    );
  });

  const valid = DID_KEY_VECTORS[0]?.[1] ?? '';
  const multibase = (bytes: Uint8Array) => `did:key:z${toBase58(bytes)}`;
  const keyBytes = fromBase58(valid.slice('did:key:z'.length));
  const code = (fn: () => unknown): string => {
    try {
      fn();
      return 'accepted';
    } catch (error) {
      return error instanceof IdentityError ? error.code : (error as Error).name;
    }
  };
  const bad: ReadonlyArray<readonly [string, () => unknown, string]> = [
    ['empty', () => didToPublicKey(''), 'ERR_IDENTITY_DID_INVALID'],
    ['another method', () => didToPublicKey(valid.replace('did:key', 'did:web')), 'ERR_IDENTITY_DID_INVALID'],
    ['upper-case method', () => didToPublicKey(valid.replace('did:key', 'DID:KEY')), 'ERR_IDENTITY_DID_INVALID'],
    ['base58btc without z', () => didToPublicKey(valid.replace(':z', ':')), 'ERR_IDENTITY_DID_INVALID'],
    ['another multibase (base64url u)', () => didToPublicKey(valid.replace(':z', ':u')), 'ERR_IDENTITY_DID_INVALID'],
    ['invalid base58 character', () => didToPublicKey(`${valid.slice(0, -1)}0`), 'ERR_IDENTITY_DID_INVALID'],
    ['truncated', () => didToPublicKey(valid.slice(0, -1)), 'ERR_IDENTITY_DID_INVALID'],
    ['oversized', () => didToPublicKey(`${valid}${'1'.repeat(100)}`), 'ERR_IDENTITY_DID_INVALID'],
    ['extra byte', () => didToPublicKey(multibase(Uint8Array.from([...keyBytes, 0]))), 'ERR_IDENTITY_DID_INVALID'],
    [
      'leading zero byte',
      () => didToPublicKey(multibase(Uint8Array.from([0, ...keyBytes]))),
      'ERR_IDENTITY_DID_INVALID',
    ],
    [
      'X25519 multicodec (0xec)',
      () => didToPublicKey(multibase(Uint8Array.from([0xec, 0x01, ...keyBytes.slice(2)]))),
      'ERR_IDENTITY_DID_INVALID',
    ],
    [
      'secp256k1 multicodec (0xe7)',
      () => didToPublicKey(multibase(Uint8Array.from([0xe7, 0x01, 2, ...keyBytes.slice(2)]))),
      'ERR_IDENTITY_DID_INVALID',
    ],
    [
      'small-order key (identity point)',
      () => didToPublicKey(multibase(Uint8Array.from([0xed, 0x01, ...(SMALL_ORDER_ENCODINGS[0] ?? [])]))),
      'ERR_IDENTITY_DID_INVALID',
    ],
    [
      'not a curve point',
      () => didToPublicKey(multibase(Uint8Array.from([0xed, 0x01, 2, ...new Uint8Array(31)]))),
      'ERR_IDENTITY_DID_INVALID',
    ],
    ['fragment naming another key', () => didToPublicKey(`${valid}#z6MkOther`), 'ERR_IDENTITY_DID_INVALID'],
    ['query', () => didToPublicKey(`${valid}?x=1`), 'ERR_IDENTITY_DID_INVALID'],
    ['trailing whitespace', () => didToPublicKey(`${valid} `), 'ERR_IDENTITY_DID_INVALID'],
    ['number', () => didToPublicKey(1 as unknown as string), 'TypeError'],
    [
      'publicKeyToDid: small-order key',
      () => publicKeyToDid(SMALL_ORDER_ENCODINGS[1] as Uint8Array),
      'ERR_IDENTITY_KEY_INVALID',
    ],
    ['publicKeyToDid: 31 bytes', () => publicKeyToDid(keyBytes.slice(3)), 'ERR_IDENTITY_KEY_INVALID'],
    ['publicKeyToDid: string', () => publicKeyToDid(valid as unknown as Uint8Array), 'ERR_IDENTITY_KEY_INVALID'],
  ];
  it.each(bad)('refuses %s', (_name, fn, expected) => {
    expect(code(fn)).toBe(expected);
  });

  it('keeps the key bytes it returns independent of the input', () => {
    const key = didToPublicKey(valid);
    key[0] = (key[0] as number) ^ 1;
    expect(toHex(didToPublicKey(valid))).not.toBe(toHex(key));
  });
});
