import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  challenge,
  G,
  L,
  leToNumber,
  nonCanonicalY,
  Point,
  SMALL_ORDER_ENCODINGS,
  signature,
  signWithScalar,
  signWithTorsionR,
  T8,
} from '../../test/ed25519-forge.js';
import { wycheproofEd25519 } from '../../test/vectors.js';
import { fromHex, toHex, utf8 } from '@agentguard/statement';
import { generateSecretKey, isValidPublicKey, publicKeyOf, setCryptoBackend, sign, verify } from './ed25519.js';
import { hasSmallOrderY, isCanonicalScalar, isCanonicalY } from './strict.js';
import { IdentityError } from '../errors.js';

// RFC 8032 §7.1 "Test Vectors for Ed25519" (TEST 1, 2, 3, 1024 and SHA(abc)), typed in from the RFC text.
const RFC8032: ReadonlyArray<{ name: string; secret: string; public: string; message: string; signature: string }> = [
  {
    name: 'TEST 1',
    secret: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
    public: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    message: '',
    signature:
      'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
  },
  {
    name: 'TEST 2',
    secret: '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
    public: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
    message: '72',
    signature:
      '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
  },
  {
    name: 'TEST 3',
    secret: 'c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7',
    public: 'fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025',
    message: 'af82',
    signature:
      '6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a',
  },
  {
    name: 'TEST 1024',
    secret: 'f5e5767cf153319517630f226876b86c8160cc583bc013744c6bf255f5cc0ee5',
    public: '278117fc144c72340f67d0f2316e8386ceffbf2b2428c9c51fef7c597f1d426e',
    message: [
      '08b8b2b733424243760fe426a4b54908632110a66c2f6591eabd3345e3e4eb98fa6e264bf09efe12ee50f8f54e9f77b1e355f6c50544e23fb1433ddf73be84d8',
      '79de7c0046dc4996d9e773f4bc9efe5738829adb26c81b37c93a1b270b20329d658675fc6ea534e0810a4432826bf58c941efb65d57a338bbd2e26640f89ffbc',
      '1a858efcb8550ee3a5e1998bd177e93a7363c344fe6b199ee5d02e82d522c4feba15452f80288a821a579116ec6dad2b3b310da903401aa62100ab5d1a36553e',
      '06203b33890cc9b832f79ef80560ccb9a39ce767967ed628c6ad573cb116dbefefd75499da96bd68a8a97b928a8bbc103b6621fcde2beca1231d206be6cd9ec7',
      'aff6f6c94fcd7204ed3455c68c83f4a41da4af2b74ef5c53f1d8ac70bdcb7ed185ce81bd84359d44254d95629e9855a94a7c1958d1f8ada5d0532ed8a5aa3fb2',
      'd17ba70eb6248e594e1a2297acbbb39d502f1a8c6eb6f1ce22b3de1a1f40cc24554119a831a9aad6079cad88425de6bde1a9187ebb6092cf67bf2b13fd65f270',
      '88d78b7e883c8759d2c4f5c65adb7553878ad575f9fad878e80a0c9ba63bcbcc2732e69485bbc9c90bfbd62481d9089beccf80cfe2df16a2cf65bd92dd597b07',
      '07e0917af48bbb75fed413d238f5555a7a569d80c3414a8d0859dc65a46128bab27af87a71314f318c782b23ebfe808b82b0ce26401d2e22f04d83d1255dc51a',
      'ddd3b75a2b1ae0784504df543af8969be3ea7082ff7fc9888c144da2af58429ec96031dbcad3dad9af0dcbaaaf268cb8fcffead94f3c7ca495e056a9b47acdb7',
      '51fb73e666c6c655ade8297297d07ad1ba5e43f1bca32301651339e22904cc8c42f58c30c04aafdb038dda0847dd988dcda6f3bfd15c4b4c4525004aa06eeff8',
      'ca61783aacec57fb3d1f92b0fe2fd1a85f6724517b65e614ad6808d6f6ee34dff7310fdc82aebfd904b01e1dc54b2927094b2db68d6f903b68401adebf5a7e08',
      'd78ff4ef5d63653a65040cf9bfd4aca7984a74d37145986780fc0b16ac451649de6188a7dbdf191f64b5fc5e2ab47b57f7f7276cd419c17a3ca8e1b939ae49e4',
      '88acba6b965610b5480109c8b17b80e1b7b750dfc7598d5d5011fd2dcc5600a32ef5b52a1ecc820e308aa342721aac0943bf6686b64b2579376504ccc493d97e',
      '6aed3fb0f9cd71a43dd497f01f17c0e2cb3797aa2a2f256656168e6c496afc5fb93246f6b1116398a346f1a641f3b041e989f7914f90cc2c7fff357876e506b5',
      '0d334ba77c225bc307ba537152f3f1610e4eafe595f6d9d90d11faa933a15ef1369546868a7f3a45a96768d40fd9d03412c091c6315cf4fde7cb68606937380d',
      'b2eaaa707b4c4185c32eddcdd306705e4dc1ffc872eeee475a64dfac86aba41c0618983f8741c5ef68d3a101e8a3b8cac60c905c15fc910840b94c00a0b9d0',
    ].join(''),
    signature:
      '0aab4c900501b3e24d7cdf4663326a3a87df5e4843b2cbdb67cbf6e460fec350aa5371b1508f9f4528ecea23c436d94b5e8fcd4f681e30a6ac00a9704a188a03',
  },
  {
    name: 'TEST SHA(abc)',
    secret: '833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42',
    public: 'ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf',
    message:
      'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f',
    signature:
      'dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b58909351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704',
  },
];

const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 });

// Every test below runs once per backend: both must give the same answers.
describe.each(['node', 'noble'] as const)('Ed25519 on the %s backend', (backendName) => {
  beforeAll(() => {
    expect(setCryptoBackend(backendName)).toBe(backendName);
  });
  afterAll(() => {
    setCryptoBackend('auto');
  });

  describe('Ed25519 known answers', () => {
    it.each(RFC8032)('RFC 8032 §7.1 $name: publicKeyOf, sign and verify', (v) => {
      const secret = fromHex(v.secret);
      const message = fromHex(v.message);
      expect(v.message.length).toBe(v.name === 'TEST 1024' ? 2046 : v.message.length);
      expect(toHex(publicKeyOf(secret))).toBe(v.public);
      expect(toHex(sign(message, secret))).toBe(v.signature);
      expect(verify(fromHex(v.signature), message, fromHex(v.public))).toBe(true);
    });

    const cases = wycheproofEd25519();
    it('loads every Wycheproof case', () => {
      expect(cases.length).toBe(151);
    });
    it.each(cases.map((c) => [c.tcId, c.flags.join(','), c.comment, c] as const))(
      'Wycheproof tcId %i (%s) %s',
      (_id, _flags, _comment, c) => {
        expect(verify(fromHex(c.sig), fromHex(c.msg), fromHex(c.publicKey))).toBe(c.valid);
      },
    );
  });

  describe('strict verification (RFC 8032 §5.1.7, not ZIP-215)', () => {
    const secret = fromHex(RFC8032[0]?.secret ?? '');
    const pub = publicKeyOf(secret);
    const message = utf8('strict');
    const good = sign(message, secret);

    it('knows exactly the 8 small-order points and the group order', () => {
      expect(new Set(SMALL_ORDER_ENCODINGS.map(toHex)).size).toBe(8);
      for (const e of SMALL_ORDER_ENCODINGS) expect(hasSmallOrderY(e, 0)).toBe(true);
      expect(hasSmallOrderY(pub, 0)).toBe(false);
      expect(isCanonicalScalar(signature(new Uint8Array(32), L - 1n), 32)).toBe(true);
      expect(isCanonicalScalar(signature(new Uint8Array(32), L), 32)).toBe(false);
      expect(isCanonicalY(nonCanonicalY(0), 0)).toBe(false);
      expect(isCanonicalY(fromHex('ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'), 0)).toBe(true);
    });

    it('refuses S >= L (malleability, RFC 8032 §8.4)', () => {
      const s = leToNumber(good.slice(32));
      expect(verify(signature(good.slice(0, 32), s + L), message, pub)).toBe(false);
      expect(verify(signature(good.slice(0, 32), L), message, pub)).toBe(false);
    });

    it('refuses every small-order public key, even with the universal forgery (R = identity, S = 0)', () => {
      const identity = Point.ZERO.toBytes();
      for (const key of SMALL_ORDER_ENCODINGS) {
        expect(isValidPublicKey(key)).toBe(false);
        for (const r of [identity, ...SMALL_ORDER_ENCODINGS]) {
          expect(verify(signature(r, 0n), message, key)).toBe(false);
        }
      }
    });

    it('refuses non-canonical encodings of A and R (y >= p, x = 0 with the sign bit)', () => {
      for (let delta = 0; delta < 19; delta++) {
        for (const signBit of [false, true]) {
          const enc = nonCanonicalY(delta, signBit);
          expect(isValidPublicKey(enc)).toBe(false);
          expect(verify(good, message, enc)).toBe(false);
          expect(verify(signature(enc, leToNumber(good.slice(32))), message, pub)).toBe(false);
        }
      }
      // x = 0 with the sign bit set: non-canonical aliases of the identity and the point of order 2.
      const identityNeg = fromHex('0100000000000000000000000000000000000000000000000000000000000080');
      expect(isValidPublicKey(identityNeg)).toBe(false);
      expect(verify(signature(identityNeg, 0n), message, identityNeg)).toBe(false);
    });

    it('refuses R with a torsion component (which a cofactored verifier accepts)', () => {
      const a = 4242424242n;
      const key = G.multiply(a).toBytes();
      for (let i = 1n; i < 8n; i++) {
        const tweaked = signWithTorsionR(a, message, i);
        expect(verify(tweaked, message, key)).toBe(false);
      }
      // The same construction without torsion verifies, so the refusal is about the torsion.
      expect(verify(signWithTorsionR(a, message, 0n), message, key)).toBe(true);
    });

    it('refuses a small-order R even where the cofactorless equation holds (mixed-order key)', () => {
      // A = [a]B + T8. Find a message whose challenge k gives R = -[k]T8, small order; then
      // S = k * a satisfies [S]B = R + [k]A exactly, which OpenSSL alone would accept.
      const a = 987654321987654321n;
      const key = G.multiply(a).add(T8).toBytes();
      let found = 0;
      for (let m = 0; m < 64 && found < 3; m++) {
        const msg = utf8(`forge ${m}`);
        for (let j = 1n; j < 8n; j++) {
          const rPoint = T8.multiply(j, false);
          const r = rPoint.toBytes();
          const k = challenge(r, key, msg);
          if (!rPoint.add(T8.multiply(k % 8n, false)).is0()) continue;
          const forged = signature(r, (k * a) % L);
          // The equation holds (checked independently here) ...
          expect(G.multiply((k * a) % L).equals(rPoint.add(Point.fromBytes(key, false).multiply(k)))).toBe(true);
          // ... and strict verification still refuses the small-order R.
          expect(verify(forged, msg, key)).toBe(false);
          found++;
        }
      }
      expect(found).toBeGreaterThan(0);
    });

    it('accepts a mixed-order key exactly when the cofactorless equation holds', () => {
      const a = 123456789123456789n;
      const key = G.multiply(a).add(T8).toBytes();
      expect(isValidPublicKey(key)).toBe(true);
      let accepted = 0;
      for (let m = 0; m < 32; m++) {
        const msg = utf8(`mixed ${m}`);
        const sig = signWithScalar(a, key, msg);
        const k = challenge(sig.slice(0, 32), key, msg);
        expect(verify(sig, msg, key)).toBe(k % 8n === 0n);
        if (k % 8n === 0n) accepted++;
      }
      expect(accepted).toBeLessThan(32);
    });
  });

  describe('Ed25519 properties', () => {
    it('sign then verify round-trips, and is deterministic', () => {
      fc.assert(
        fc.property(bytes32, fc.uint8Array({ maxLength: 256 }), (secret, message) => {
          const sig = sign(message, secret);
          expect(sig.length).toBe(64);
          expect(verify(sig, message, publicKeyOf(secret))).toBe(true);
          expect(sign(message, secret)).toEqual(sig);
        }),
        { numRuns: 50 },
      );
    });

    it('any changed byte of message, signature or key never verifies', () => {
      fc.assert(
        fc.property(
          bytes32,
          fc.uint8Array({ minLength: 1, maxLength: 64 }),
          fc.nat(),
          fc.integer({ min: 1, max: 255 }),
          fc.constantFrom('message', 'signature', 'key'),
          (secret, message, at, xor, target) => {
            const pub = publicKeyOf(secret);
            const sig = sign(message, secret);
            const m = message.slice();
            const s = sig.slice();
            const k = pub.slice();
            const arr = target === 'message' ? m : target === 'signature' ? s : k;
            const i = at % arr.length;
            arr[i] = (arr[i] as number) ^ xor;
            expect(verify(s, m, k)).toBe(false);
          },
        ),
        { numRuns: 100 },
      );
    });

    it('a longer or shorter message never verifies', () => {
      fc.assert(
        fc.property(bytes32, fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.boolean(), (secret, message, grow) => {
          const sig = sign(message, secret);
          const changed = grow ? Uint8Array.from([...message, 0]) : message.slice(0, -1);
          expect(verify(sig, changed, publicKeyOf(secret))).toBe(false);
        }),
        { numRuns: 50 },
      );
    });

    it('generateSecretKey gives 32 fresh bytes whose public key is valid', () => {
      const a = generateSecretKey();
      const b = generateSecretKey();
      expect(a.length).toBe(32);
      expect(toHex(a)).not.toBe(toHex(b));
      expect(isValidPublicKey(publicKeyOf(a))).toBe(true);
    });
  });

  describe('Ed25519 bad input', () => {
    const secret = fromHex(RFC8032[0]?.secret ?? '');
    const pub = publicKeyOf(secret);
    const msg = utf8('x');
    const sig = sign(msg, secret);
    const outcome = (fn: () => unknown): string => {
      try {
        return `returned ${String(fn())}`;
      } catch (error) {
        if (error instanceof IdentityError) return error.code;
        return (error as Error).name;
      }
    };
    const table: ReadonlyArray<readonly [string, () => unknown, string]> = [
      ['sign: message string', () => sign('x' as unknown as Uint8Array, secret), 'TypeError'],
      ['sign: message array', () => sign([1] as unknown as Uint8Array, secret), 'TypeError'],
      ['sign: message null', () => sign(null as unknown as Uint8Array, secret), 'TypeError'],
      ['sign: secret hex string', () => sign(msg, RFC8032[0]?.secret as unknown as Uint8Array), 'TypeError'],
      ['sign: secret 31 bytes', () => sign(msg, secret.slice(0, 31)), 'ERR_IDENTITY_KEY_INVALID'],
      ['sign: secret 64 bytes (libsodium form)', () => sign(msg, new Uint8Array(64)), 'ERR_IDENTITY_KEY_INVALID'],
      ['sign: secret empty', () => sign(msg, new Uint8Array(0)), 'ERR_IDENTITY_KEY_INVALID'],
      ['publicKeyOf: undefined', () => publicKeyOf(undefined as unknown as Uint8Array), 'TypeError'],
      ['publicKeyOf: 33 bytes', () => publicKeyOf(new Uint8Array(33)), 'ERR_IDENTITY_KEY_INVALID'],
      ['publicKeyOf: ArrayBuffer', () => publicKeyOf(new ArrayBuffer(32) as unknown as Uint8Array), 'TypeError'],
      ['verify: signature string', () => verify('00' as unknown as Uint8Array, msg, pub), 'TypeError'],
      ['verify: message string', () => verify(sig, 'x' as unknown as Uint8Array, pub), 'TypeError'],
      ['verify: key number[]', () => verify(sig, msg, [...pub] as unknown as Uint8Array), 'TypeError'],
      ['verify: truncated signature', () => verify(sig.slice(0, 63), msg, pub), 'returned false'],
      ['verify: empty signature', () => verify(new Uint8Array(0), msg, pub), 'returned false'],
      ['verify: oversized signature', () => verify(new Uint8Array(65), msg, pub), 'returned false'],
      ['verify: signature with garbage', () => verify(Uint8Array.from([...sig, 0]), msg, pub), 'returned false'],
      ['verify: truncated key', () => verify(sig, msg, pub.slice(0, 31)), 'returned false'],
      ['verify: oversized key', () => verify(sig, msg, new Uint8Array(33)), 'returned false'],
      ['verify: all-zero signature', () => verify(new Uint8Array(64), msg, pub), 'returned false'],
      ['verify: all-ff signature', () => verify(new Uint8Array(64).fill(255), msg, pub), 'returned false'],
      ['verify: key not on the curve', () => verify(sig, msg, fromHex(`02${'00'.repeat(31)}`)), 'returned false'],
      ['isValidPublicKey: string', () => isValidPublicKey('x' as unknown as Uint8Array), 'returned false'],
      ['isValidPublicKey: 31 bytes', () => isValidPublicKey(pub.slice(1)), 'returned false'],
    ];
    it.each(table)('%s', (_name, fn, expected) => {
      expect(outcome(fn)).toBe(expected);
    });

    it('accepts a Buffer (a Uint8Array subclass) and a subarray view', () => {
      const padded = new Uint8Array(70);
      padded.set(sig, 3);
      expect(verify(padded.subarray(3, 67), Buffer.from('x'), pub)).toBe(true);
    });
  });
});
