import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex, utf8 } from './encoding.js';
import { nodeSha256, sha256, sha256Hex, sha256HexOfText } from './hash.js';

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

describe('digestToolDefinition: title, outputSchema and annotations', () => {
  // Known answers: `sha256sum` of the JCS text written out by hand (coreutils 9, 2026-12-03), not of this code's
  // output. The first two are digests as they were before the optional parts existed: they must never change, as
  // stored MCP pins and signed attestations hold them.
  const search = { name: 'search', description: 'Search the web', schema: { type: 'object' } };
  const KNOWN: [string, Parameters<typeof import('./digest.js').digestToolDefinition>[0], string][] = [
    [
      '{"description":"Search the web","name":"search","schema":{"properties":{"q":{"type":"string"}},"type":"object"}}',
      {
        name: 'search',
        description: 'Search the web',
        schema: { type: 'object', properties: { q: { type: 'string' } } },
      },
      'b6eb49f283ca2471efb072d31c036022928d01be5b5143146d4f2f9503f31351',
    ],
    [
      '{"description":null,"name":"x","schema":null}',
      { name: 'x' },
      'fa2d27a203d84507194764394a02e2d9ef765ecd06583d11d8d7fd3d47c50f8a',
    ],
    [
      '{"annotations":{"readOnlyHint":true},"description":"Search the web","name":"search","outputSchema":{"type":"object"},"schema":{"type":"object"},"title":"Web search"}',
      { ...search, title: 'Web search', outputSchema: { type: 'object' }, annotations: { readOnlyHint: true } },
      '9d159bd6033348e1da559ec4058a6dbe03a537430dc4cca1b14646772f18416b',
    ],
  ];

  it.each(KNOWN)('known answer: %s', async (_jcs, tool, hex) => {
    const { digestToolDefinition } = await import('./digest.js');
    expect(digestToolDefinition(tool)).toBe(`sha256:${hex}`);
  });

  it('a definition without them, or with them undefined or null, keeps its old digest', async () => {
    const { digestToolDefinition, digestArgs } = await import('./digest.js');
    const old = digestArgs({ name: search.name, description: search.description, schema: search.schema });
    expect(digestToolDefinition(search)).toBe(old);
    expect(digestToolDefinition({ ...search, title: undefined, outputSchema: undefined, annotations: undefined })).toBe(
      old,
    );
    expect(digestToolDefinition({ ...search, title: null, outputSchema: null, annotations: null })).toBe(old);
  });

  it('any change of title, outputSchema or annotations changes the digest (property)', async () => {
    const { digestToolDefinition } = await import('./digest.js');
    fc.assert(
      fc.property(fc.string(), fc.jsonValue(), fc.dictionary(fc.string(), fc.boolean()), (title, out, hints) => {
        const base = digestToolDefinition({ ...search, title, outputSchema: out, annotations: hints });
        expect(digestToolDefinition(search)).not.toBe(base);
        expect(digestToolDefinition({ ...search, title: `${title}!`, outputSchema: out, annotations: hints })).not.toBe(
          base,
        );
        expect(digestToolDefinition({ ...search, title, outputSchema: { wrapped: out }, annotations: hints })).not.toBe(
          base,
        );
        expect(
          digestToolDefinition({ ...search, title, outputSchema: out, annotations: { ...hints, destructiveHint: 1 } }),
        ).not.toBe(base);
      }),
    );
  });

  it('annotations that are not JSON are a typed error', async () => {
    const { digestToolDefinition } = await import('./digest.js');
    expect(() => digestToolDefinition({ ...search, annotations: { readOnlyHint: 1n } })).toThrow(
      expect.objectContaining({ code: 'ERR_STATEMENT_JSON_UNSUPPORTED_VALUE' }),
    );
  });
});

describe('sha256HexOfText', () => {
  it('is the hex SHA-256 of the UTF-8 of the text, short or past the reused buffer, call after call (property)', () => {
    const text = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.string({ unit: fc.constantFrom('a', 'é', '\u{1F600}', '\uD800', '\uDFFF'), maxLength: 40 }),
      fc.nat({ max: 30_000 }).map((n) => 'é'.repeat(n)),
    );
    fc.assert(
      fc.property(text, text, (a, b) => {
        const first = sha256HexOfText(a);
        expect(sha256HexOfText(b)).toBe(toHex(nobleSha256(utf8(b))));
        expect(first).toBe(toHex(nobleSha256(utf8(a))));
      }),
      { numRuns: 300 },
    );
  });

  it('refuses what is not a string', () => {
    expect(() => sha256HexOfText(new Uint8Array(1) as unknown as string)).toThrow(TypeError);
  });
});
