import * as ed from '@noble/ed25519';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  G,
  leToNumber,
  Point,
  SMALL_ORDER_ENCODINGS,
  signature,
  signWithTorsionR,
  T8,
} from '../../test/ed25519-forge.js';
import { wycheproofEd25519 } from '../../test/vectors.js';
import { fromHex, toHex, utf8 } from '@agentguard/statement';
import {
  cryptoBackend,
  isNodeBackendAvailable,
  publicKeyOf,
  setCryptoBackend,
  sign,
  verify,
  withCryptoBackend,
} from './ed25519.js';
import { createNodeBackend, MAX_CACHED_PUBLIC_KEYS } from './node.js';

const nodeCrypto = process.getBuiltinModule('node:crypto');
const SPKI_PREFIX = fromHex('302a300506032b6570032100');
const rawNodeVerify = (sig: Uint8Array, msg: Uint8Array, pub: Uint8Array): boolean => {
  const key = nodeCrypto.createPublicKey({
    key: Buffer.concat([SPKI_PREFIX, pub]),
    format: 'der',
    type: 'spki',
  });
  return nodeCrypto.verify(null, msg, key, sig);
};
const both = <T>(fn: () => T): [T, T] => [withCryptoBackend('node', fn), withCryptoBackend('noble', fn)];
const seed = fc.uint8Array({ minLength: 32, maxLength: 32 });

describe('crypto backend selection', () => {
  // AGENTGUARD_CRYPTO_BACKEND=noble runs the whole suite on the pure-JS backend.
  const auto = process.env.AGENTGUARD_CRYPTO_BACKEND === 'noble' ? 'noble' : 'node';

  it('picks node:crypto on Node (process.getBuiltinModule) and can be forced to noble', () => {
    expect(isNodeBackendAvailable()).toBe(true);
    expect(cryptoBackend()).toBe(auto);
    expect(withCryptoBackend('noble', () => cryptoBackend())).toBe('noble');
    expect(withCryptoBackend('node', () => cryptoBackend())).toBe('node');
    expect(cryptoBackend()).toBe(auto);
    expect(setCryptoBackend('noble')).toBe('noble');
    expect(setCryptoBackend('auto')).toBe(auto);
    expect(() => setCryptoBackend('openssl' as 'node')).toThrow(RangeError);
  });

  it('both backends give the same answer on every Wycheproof case', () => {
    for (const c of wycheproofEd25519()) {
      const args = [fromHex(c.sig), fromHex(c.msg), fromHex(c.publicKey)] as const;
      expect(
        both(() => verify(...args)),
        `tcId ${c.tcId}`,
      ).toEqual([c.valid, c.valid]);
    }
  });
});

describe('runtimes without node:crypto (browsers, edge)', () => {
  it('finds no node backend when process.getBuiltinModule is missing', () => {
    const original = process.getBuiltinModule;
    try {
      (process as { getBuiltinModule?: unknown }).getBuiltinModule = undefined;
      expect(createNodeBackend()).toBeUndefined();
    } finally {
      process.getBuiltinModule = original;
    }
    expect(createNodeBackend()).toBeDefined();
  });
});

describe('cross-backend agreement (properties)', () => {
  it('derive the same public key and sign bit for bit alike', () => {
    fc.assert(
      fc.property(seed, fc.uint8Array({ maxLength: 300 }), (secret, message) => {
        const [pubNode, pubNoble] = both(() => publicKeyOf(secret));
        expect(toHex(pubNode)).toBe(toHex(pubNoble));
        const [sigNode, sigNoble] = both(() => sign(message, secret));
        expect(toHex(sigNode)).toBe(toHex(sigNoble));
        // Cross-verify: each backend accepts the other's signature.
        expect(withCryptoBackend('noble', () => verify(sigNode, message, pubNode))).toBe(true);
        expect(withCryptoBackend('node', () => verify(sigNoble, message, pubNoble))).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  it('agree on mutated and hostile signatures and keys', () => {
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('flip' as const), at: fc.nat(95), xor: fc.integer({ min: 1, max: 255 }) }),
      fc.record({ kind: fc.constant('torsionR' as const), i: fc.integer({ min: 1, max: 7 }) }),
      fc.record({ kind: fc.constant('smallKey' as const), i: fc.nat(7) }),
      fc.record({ kind: fc.constant('sPlusL' as const) }),
      fc.record({ kind: fc.constant('random' as const), bytes: fc.uint8Array({ minLength: 96, maxLength: 96 }) }),
    );
    fc.assert(
      fc.property(seed, fc.uint8Array({ maxLength: 64 }), mutation, (secret, message, m) => {
        let sig = sign(message, secret);
        let pub = publicKeyOf(secret);
        if (m.kind === 'flip') {
          const all = Uint8Array.from([...sig, ...pub]);
          all[m.at] = (all[m.at] as number) ^ m.xor;
          sig = all.slice(0, 64);
          pub = all.slice(64);
        } else if (m.kind === 'torsionR') {
          const r = Point.fromBytes(sig.slice(0, 32), false).add(T8.multiply(BigInt(m.i), false));
          sig = signature(r.toBytes(), leToNumber(sig.slice(32)));
        } else if (m.kind === 'smallKey') {
          pub = SMALL_ORDER_ENCODINGS[m.i] as Uint8Array;
        } else if (m.kind === 'sPlusL') {
          sig = signature(sig.slice(0, 32), leToNumber(sig.slice(32)) + ed.Point.CURVE().n);
        } else {
          sig = m.bytes.slice(0, 64);
          pub = m.bytes.slice(64);
        }
        const [a, b] = both(() => verify(sig, message, pub));
        expect(a).toBe(b);
        expect(a).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});

describe('what the strict checks add over the raw libraries', () => {
  it('the small-order-key universal forgery never verifies, whatever the OpenSSL under Node does', () => {
    const identity = SMALL_ORDER_ENCODINGS[0] as Uint8Array;
    const forged = signature(identity, 0n);
    const message = utf8('transfer everything');
    // The OpenSSL bundled with Node 20 accepts it; newer builds (Node 24) refuse it. Ours refuses on both
    // backends, on every Node, so the answer must not depend on which one the platform ships.
    expect(typeof rawNodeVerify(forged, message, identity)).toBe('boolean');
    expect(both(() => verify(forged, message, identity))).toEqual([false, false]);
  });

  it("noble's default (ZIP-215, cofactored) accepts R with a torsion component; our verify does not", () => {
    const a = 4242424242n;
    const pub = G.multiply(a).toBytes();
    const message = utf8('m');
    for (let i = 1n; i < 8n; i++) {
      const tweaked = signWithTorsionR(a, message, i);
      expect(ed.verify(tweaked, message, pub)).toBe(true);
      expect(rawNodeVerify(tweaked, message, pub)).toBe(false);
      expect(both(() => verify(tweaked, message, pub))).toEqual([false, false]);
    }
  });
});

describe('node backend key caches', () => {
  const backend = createNodeBackend();
  it('keeps at most MAX_CACHED_PUBLIC_KEYS imported public keys', () => {
    expect(backend).toBeDefined();
    if (backend === undefined) return;
    const message = utf8('cache');
    for (let i = 0; i < MAX_CACHED_PUBLIC_KEYS + 50; i++) {
      const secret = new Uint8Array(32);
      new DataView(secret.buffer).setUint32(0, i + 1);
      const pub = backend.publicKeyOf(secret);
      expect(backend.verify(backend.sign(message, secret), message, pub)).toBe(true);
    }
    expect(backend.cachedPublicKeys()).toBe(MAX_CACHED_PUBLIC_KEYS);
  });

  it('notices a secret key array mutated in place and signs with the new key', () => {
    if (backend === undefined) return;
    const secret = new Uint8Array(32).fill(1);
    const message = utf8('m');
    const first = backend.sign(message, secret);
    secret.fill(2);
    const second = backend.sign(message, secret);
    expect(toHex(second)).not.toBe(toHex(first));
    expect(toHex(second)).toBe(toHex(withCryptoBackend('noble', () => sign(message, new Uint8Array(32).fill(2)))));
  });
});
