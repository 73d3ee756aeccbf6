import { fromHex, utf8 } from '@agentguard/statement';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromBase58, toBase58 } from './base58.js';
import { IdentityError } from '../errors.js';

const outcome = (fn: () => unknown): string => {
  try {
    fn();
    return 'accepted';
  } catch (error) {
    if (error instanceof IdentityError) return error.code;
    return (error as Error).name;
  }
};

describe('base58btc', () => {
  // draft-msporny-base58-03 §5 "Test Vectors".
  const vectors: ReadonlyArray<readonly [Uint8Array, string]> = [
    [utf8('Hello World!'), '2NEpo7TZRRrLZSi2U'],
    [
      utf8('The quick brown fox jumps over the lazy dog.'),
      'USm3fpXnKG5EUBx2ndxBDMPVciP5hGey2Jh4NDv6gmeo1LkMeiKrLJUUBk6Z',
    ],
    [fromHex('0000287fb4cd'), '11233QC4'],
  ];
  it.each(vectors)('draft-msporny-base58 §5: %s', (bytes, text) => {
    expect(toBase58(bytes)).toBe(text);
    expect(fromBase58(text)).toEqual(bytes);
  });

  it('decodes what it encodes (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
        expect(fromBase58(toBase58(b), 1000)).toEqual(b);
      }),
      { numRuns: 300 },
    );
  });

  const table: ReadonlyArray<readonly [string, () => unknown, string]> = [
    ['fromBase58: 0 (not in alphabet)', () => fromBase58('z0'), 'ERR_IDENTITY_ENCODING_INVALID'],
    ['fromBase58: O, I, l (not in alphabet)', () => fromBase58('OIl'), 'ERR_IDENTITY_ENCODING_INVALID'],
    ['fromBase58: oversized', () => fromBase58('2'.repeat(257)), 'ERR_IDENTITY_ENCODING_INVALID'],
    ['fromBase58: number', () => fromBase58(5 as unknown as string), 'TypeError'],
    ['fromBase58: bad maxLength', () => fromBase58('2', -1), 'RangeError'],
    ['toBase58: string', () => toBase58('abc' as unknown as Uint8Array), 'TypeError'],
  ];
  it.each(table)('%s', (_name, fn, expected) => {
    expect(outcome(fn)).toBe(expected);
  });
});
