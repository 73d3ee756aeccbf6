import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex, utf8 } from './encoding.js';
import { nodeSha256, sha256, sha256Hex } from './hash.js';

// FIPS 180-4 / NIST CSHS example vectors.
const VECTORS: [string, string][] = [
  ['', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
  ['abc', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
  [
    'abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq',
    '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
  ],
];

describe('sha256', () => {
  it.each(VECTORS)('matches the FIPS 180-4 example %j', (input, digest) => {
    expect(sha256Hex(utf8(input))).toBe(digest);
    expect(toHex(nobleSha256(utf8(input)))).toBe(digest);
  });

  it('uses node:crypto on Node, and it agrees with @noble/hashes bit for bit (property)', () => {
    const node = nodeSha256();
    expect(node).toBeDefined();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), (bytes) => {
        expect(toHex((node as (b: Uint8Array) => Uint8Array)(bytes))).toBe(toHex(nobleSha256(bytes)));
        expect(toHex(sha256(bytes))).toBe(toHex(nobleSha256(bytes)));
        expect(sha256Hex(bytes)).toBe(toHex(nobleSha256(bytes)));
      }),
    );
  });

  it('returns a plain Uint8Array of its own (not a view of a shared Buffer pool)', () => {
    const digest = sha256(fromHex('00'));
    expect(Object.getPrototypeOf(digest)).toBe(Uint8Array.prototype);
    expect(digest.buffer.byteLength).toBe(32);
  });

  it('refuses what is not bytes', () => {
    expect(() => sha256('abc' as never)).toThrow(TypeError);
    expect(() => sha256Hex('abc' as never)).toThrow(TypeError);
  });
});

describe('digestToolDefinition', () => {
  it('digests canonical { name, description, schema }, absent parts as null, key order free', async () => {
    const { digestToolDefinition, digestArgs } = await import('./digest.js');
    const d = digestToolDefinition({ name: 't', schema: { b: 1, a: 2 } });
    expect(d).toBe(digestArgs({ name: 't', description: null, schema: { a: 2, b: 1 } }));
    expect(digestToolDefinition({ name: 't', description: 'x' })).not.toBe(digestToolDefinition({ name: 't' }));
    expect(() => digestToolDefinition({ name: '' })).toThrow(TypeError);
  });
});
