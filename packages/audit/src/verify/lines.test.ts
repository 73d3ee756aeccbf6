import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeLine, decodeWithTextDecoder } from './lines.js';

describe('decodeLine', () => {
  // Bytes near UTF-8's edges: lead bytes of every length, continuation bytes, surrogate and overlong forms,
  // the largest code point and past it, a byte-order mark, and plain ASCII.
  const interesting = fc.constantFrom(
    0x00,
    0x41,
    0x7f,
    0x80,
    0xbf,
    0xc0,
    0xc1,
    0xc2,
    0xdf,
    0xe0,
    0xed,
    0xef,
    0xf0,
    0xf4,
    0xf5,
    0xff,
    0xa0,
    0x9f,
    0xbb,
    0x90,
    0x8f,
  );
  const bytes = fc.oneof(
    fc.uint8Array({ maxLength: 64 }),
    fc.array(interesting, { maxLength: 12 }).map((a) => Uint8Array.from(a)),
    fc.string({ unit: 'binary', maxLength: 40 }).map((s) => new TextEncoder().encode(s)),
  );

  it('gives what the fatal TextDecoder gives, for any bytes and any view of them (property)', () => {
    fc.assert(
      fc.property(bytes, fc.nat({ max: 4 }), (b, cut) => {
        const view = b.subarray(Math.min(cut, b.length));
        expect(decodeLine(view)).toBe(decodeWithTextDecoder(view));
      }),
      { numRuns: 5000 },
    );
  });

  it('keeps a byte-order mark and refuses what is not UTF-8', () => {
    expect(decodeLine(Uint8Array.of(0xef, 0xbb, 0xbf, 0x7b, 0x7d))).toBe('\uFEFF{}');
    expect(decodeLine(Uint8Array.of(0x7b, 0xed, 0xa0, 0x80, 0x7d))).toBeUndefined();
    expect(decodeLine(Uint8Array.of(0x7b, 0xff, 0x7d))).toBeUndefined();
    expect(decodeLine(new Uint8Array(0))).toBe('');
  });
});
