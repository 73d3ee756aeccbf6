import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SMALL_ORDER_ENCODINGS } from '../../test/ed25519-forge.js';
import { fromBase64Url, toBase64Url, utf8, canonicalize, sha256, parseJson } from '@agentguard/statement';
import { sign, verify } from '../ed25519/ed25519.js';
import { IdentityError } from '../errors.js';
import { importJwk, publicKeyToJwk, secretKeyToJwk } from './jwk.js';

// RFC 8037 Appendix A.1 (private key), A.2 (public key), A.3 (thumbprint), A.4 (JWS signing).
const A1 = {
  kty: 'OKP',
  crv: 'Ed25519',
  d: 'nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A',
  x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo',
} as const;
const A3_THUMBPRINT = 'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k';
const A4_SIGNING_INPUT = 'eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc';
const A4_SIGNATURE = 'hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg';

describe('RFC 8037 known answers', () => {
  it('A.1/A.2: imports the private key and derives the public key', () => {
    const { publicKey, secretKey } = importJwk(A1);
    expect(toBase64Url(publicKey)).toBe(A1.x);
    expect(secretKey && toBase64Url(secretKey)).toBe(A1.d);
    expect(publicKeyToJwk(publicKey)).toEqual({ kty: 'OKP', crv: 'Ed25519', x: A1.x });
    expect(secretKeyToJwk(fromBase64Url(A1.d))).toEqual(A1);
  });

  it('A.3: the RFC 7638 thumbprint is SHA-256 of the canonical required members', () => {
    const { kty, crv, x } = publicKeyToJwk(importJwk(A1).publicKey);
    expect(toBase64Url(sha256(utf8(canonicalize({ crv, kty, x }))))).toBe(A3_THUMBPRINT);
  });

  it('A.4: reproduces and verifies the JWS signature', () => {
    const { publicKey, secretKey } = importJwk(A1);
    expect(secretKey).toBeDefined();
    const sig = sign(utf8(A4_SIGNING_INPUT), secretKey as Uint8Array);
    expect(toBase64Url(sig)).toBe(A4_SIGNATURE);
    expect(verify(fromBase64Url(A4_SIGNATURE), utf8(A4_SIGNING_INPUT), publicKey)).toBe(true);
  });
});

describe('JWK round trips (property)', () => {
  it('secretKeyToJwk -> JSON -> parseJson -> importJwk gives back both keys and the kid', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.option(fc.string(), { nil: undefined }),
        (seed, kid) => {
          const jwk = secretKeyToJwk(seed, kid);
          const back = importJwk(parseJson(JSON.stringify(jwk)));
          expect(back.secretKey).toEqual(seed);
          expect(publicKeyToJwk(back.publicKey, kid)).toEqual({
            kty: jwk.kty,
            crv: jwk.crv,
            x: jwk.x,
            ...(kid === undefined ? {} : { kid }),
          });
          expect(back.kid).toBe(kid);
        },
      ),
      { numRuns: 50 },
    );
  });
});

describe('JWK bad input', () => {
  const other = secretKeyToJwk(new Uint8Array(32).fill(7));
  const code = (fn: () => unknown): string => {
    try {
      fn();
      return 'accepted';
    } catch (error) {
      return error instanceof IdentityError ? error.code : (error as Error).name;
    }
  };
  const withField = (patch: Record<string, unknown>) => ({ ...A1, ...patch });
  const table: ReadonlyArray<readonly [string, unknown, string]> = [
    ['null', null, 'ERR_IDENTITY_JWK_INVALID'],
    ['a string', JSON.stringify(A1), 'ERR_IDENTITY_JWK_INVALID'],
    ['an array', [A1], 'ERR_IDENTITY_JWK_INVALID'],
    ['kty EC', withField({ kty: 'EC' }), 'ERR_IDENTITY_JWK_INVALID'],
    ['kty RSA', withField({ kty: 'RSA' }), 'ERR_IDENTITY_JWK_INVALID'],
    ['crv X25519', withField({ crv: 'X25519' }), 'ERR_IDENTITY_JWK_INVALID'],
    ['crv Ed448', withField({ crv: 'Ed448' }), 'ERR_IDENTITY_JWK_INVALID'],
    ['lower-case crv', withField({ crv: 'ed25519' }), 'ERR_IDENTITY_JWK_INVALID'],
    ['alg ES256', withField({ alg: 'ES256' }), 'ERR_IDENTITY_JWK_INVALID'],
    ['alg none', withField({ alg: 'none' }), 'ERR_IDENTITY_JWK_INVALID'],
    ['use enc', withField({ use: 'enc' }), 'ERR_IDENTITY_JWK_INVALID'],
    ['kty as an object', withField({ kty: Object.create(null) }), 'ERR_IDENTITY_JWK_INVALID'],
    ['x missing', { kty: 'OKP', crv: 'Ed25519' }, 'ERR_IDENTITY_JWK_INVALID'],
    ['x a number', withField({ x: 5 }), 'ERR_IDENTITY_JWK_INVALID'],
    ['x padded', withField({ x: `${A1.x}=` }), 'ERR_IDENTITY_JWK_INVALID'],
    ['x standard base64', withField({ x: A1.x.replace('_', '/') }), 'ERR_IDENTITY_JWK_INVALID'],
    ['x non-canonical last character', withField({ x: `${A1.x.slice(0, -1)}p` }), 'ERR_IDENTITY_JWK_INVALID'],
    ['x truncated', withField({ x: A1.x.slice(0, -2) }), 'ERR_IDENTITY_JWK_INVALID'],
    ['x oversized', withField({ x: `${A1.x}AAAA` }), 'ERR_IDENTITY_JWK_INVALID'],
    [
      'x small-order point',
      withField({ x: toBase64Url(SMALL_ORDER_ENCODINGS[0] as Uint8Array), d: undefined }),
      'ERR_IDENTITY_JWK_INVALID',
    ],
    ['d of another key', withField({ d: other.d }), 'ERR_IDENTITY_JWK_INVALID'],
    ['d truncated', withField({ d: A1.d.slice(0, -2) }), 'ERR_IDENTITY_JWK_INVALID'],
    ['d 64 bytes', withField({ d: toBase64Url(new Uint8Array(64)) }), 'ERR_IDENTITY_JWK_INVALID'],
    ['d a number', withField({ d: 1 }), 'ERR_IDENTITY_JWK_INVALID'],
    ['kid a number', withField({ kid: 1 }), 'ERR_IDENTITY_JWK_INVALID'],
  ];
  it.each(table)('importJwk refuses %s', (_name, jwk, expected) => {
    expect(code(() => importJwk(jwk))).toBe(expected);
  });

  it('accepts alg EdDSA or Ed25519 and use sig, and ignores unknown members', () => {
    expect(code(() => importJwk(withField({ alg: 'EdDSA', use: 'sig', key_ops: ['sign'] })))).toBe('accepted');
    expect(code(() => importJwk(withField({ alg: 'Ed25519' })))).toBe('accepted');
  });

  it('publicKeyToJwk and secretKeyToJwk refuse bad keys and kids', () => {
    expect(code(() => publicKeyToJwk(new Uint8Array(31)))).toBe('ERR_IDENTITY_KEY_INVALID');
    expect(code(() => publicKeyToJwk(SMALL_ORDER_ENCODINGS[2] as Uint8Array))).toBe('ERR_IDENTITY_KEY_INVALID');
    expect(code(() => publicKeyToJwk(importJwk(A1).publicKey, 5 as unknown as string))).toBe('TypeError');
    expect(code(() => secretKeyToJwk(new Uint8Array(16)))).toBe('ERR_IDENTITY_KEY_INVALID');
    expect(code(() => secretKeyToJwk('x' as unknown as Uint8Array))).toBe('TypeError');
  });
});
