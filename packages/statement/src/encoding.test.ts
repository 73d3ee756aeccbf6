import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bytesEqual,
  encode64Loop,
  concatBytes,
  fromBase64,
  fromBase64Url,
  fromHex,
  fromUtf8,
  randomBytes,
  toBase64,
  toBase64Url,
  toHex,
  utf8,
} from './encoding.js';
import { StatementError } from './errors.js';
import { sha256, sha256Hex } from './hash.js';

const outcome = (fn: () => unknown): string => {
  try {
    fn();
    return 'accepted';
  } catch (error) {
    if (error instanceof StatementError) return error.code;
    return (error as Error).name;
  }
};

describe('known answers', () => {
  // RFC 4648 §10 "Test Vectors" (BASE64 and BASE16), typed in from the RFC.
  const rfc4648: ReadonlyArray<readonly [string, string, string]> = [
    ['', '', ''],
    ['f', 'Zg==', '66'],
    ['fo', 'Zm8=', '666F'],
    ['foo', 'Zm9v', '666F6F'],
    ['foob', 'Zm9vYg==', '666F6F62'],
    ['fooba', 'Zm9vYmE=', '666F6F6261'],
    ['foobar', 'Zm9vYmFy', '666F6F626172'],
  ];
  it.each(rfc4648)('RFC 4648 §10: %j', (text, b64, b16) => {
    const bytes = utf8(text);
    expect(toBase64(bytes)).toBe(b64);
    expect(fromBase64(b64)).toEqual(bytes);
    expect(toBase64Url(bytes)).toBe(b64.replace(/=+$/, ''));
    expect(fromBase64Url(b64.replace(/=+$/, ''))).toEqual(bytes);
    expect(toHex(bytes)).toBe(b16.toLowerCase());
    expect(fromHex(b16)).toEqual(bytes);
  });

  it('uses the URL-safe alphabet for base64url (RFC 4648 §5)', () => {
    expect(toBase64(Uint8Array.of(0xfb, 0xff))).toBe('+/8=');
    expect(toBase64Url(Uint8Array.of(0xfb, 0xff))).toBe('-_8');
  });

  // FIPS 180-2 Appendix B.1 ("abc") and the empty-string digest.
  it('SHA-256 known answers', () => {
    expect(sha256Hex(utf8('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(toHex(sha256(new Uint8Array(0)))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });
});

describe('round trips (properties)', () => {
  const bytes = fc.uint8Array({ maxLength: 200 });
  it('hex, base64 and base64url decode what they encode', () => {
    fc.assert(
      fc.property(bytes, (b) => {
        expect(fromHex(toHex(b))).toEqual(b);
        expect(fromHex(toHex(b).toUpperCase())).toEqual(b);
        expect(fromBase64(toBase64(b))).toEqual(b);
        expect(fromBase64Url(toBase64Url(b))).toEqual(b);
        expect(toBase64(b)).toBe(Buffer.from(b).toString('base64'));
        expect(toBase64Url(b)).toBe(Buffer.from(b).toString('base64url'));
      }),
      { numRuns: 300 },
    );
  });

  it('each encoding is canonical: a decodable text re-encodes to itself', () => {
    const b64chars = fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_');
    fc.assert(
      fc.property(fc.string({ unit: b64chars, maxLength: 40 }), (text) => {
        let decoded: Uint8Array | undefined;
        try {
          decoded = fromBase64Url(text);
        } catch (error) {
          expect((error as StatementError).code).toBe('ERR_STATEMENT_ENCODING_INVALID');
        }
        if (decoded !== undefined) expect(toBase64Url(decoded)).toBe(text);
      }),
      { numRuns: 500 },
    );
  });

  it('the portable base64 loop writes exactly what node:buffer writes, in both alphabets, at any offset', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(8), (bytes, offset) => {
        // A view into a larger buffer: the native path must encode the view, not the whole buffer.
        const backing = new Uint8Array(offset + bytes.length + 5).fill(0xaa);
        backing.set(bytes, offset);
        const view = backing.subarray(offset, offset + bytes.length);
        expect(encode64Loop(view, false)).toBe(Buffer.from(bytes).toString('base64'));
        expect(encode64Loop(view, true)).toBe(Buffer.from(bytes).toString('base64url'));
        expect(toBase64(view)).toBe(encode64Loop(view, false));
        expect(toBase64Url(view)).toBe(encode64Loop(view, true));
      }),
    );
  });

  it('utf8 and fromUtf8 round-trip well-formed text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (text) => {
        expect(fromUtf8(utf8(text))).toBe(text);
      }),
    );
  });

  it('fromUtf8 keeps a leading byte-order mark (one reading per byte string)', () => {
    expect(fromUtf8(Uint8Array.of(0xef, 0xbb, 0xbf, 0x7b, 0x7d))).toBe('\uFEFF{}');
    expect(fromUtf8(utf8('\uFEFF\uFEFFx'))).toBe('\uFEFF\uFEFFx');
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (text) => {
        expect(fromUtf8(utf8(`\uFEFF${text}`))).toBe(`\uFEFF${text}`);
      }),
    );
  });

  it('concatBytes and bytesEqual agree with the parts', () => {
    fc.assert(
      fc.property(bytes, bytes, (a, b) => {
        const joined = concatBytes(a, b);
        expect(bytesEqual(joined.subarray(0, a.length), a)).toBe(true);
        expect(bytesEqual(joined.subarray(a.length), b)).toBe(true);
        expect(bytesEqual(a, b)).toBe(toHex(a) === toHex(b));
      }),
    );
  });
});

describe('bad input', () => {
  const table: ReadonlyArray<readonly [string, () => unknown, string]> = [
    ['fromHex: odd length', () => fromHex('abc'), 'ERR_STATEMENT_ENCODING_INVALID'],
    ['fromHex: non-hex', () => fromHex('zz'), 'ERR_STATEMENT_ENCODING_INVALID'],
    ['fromHex: 0x prefix', () => fromHex('0x00'), 'ERR_STATEMENT_ENCODING_INVALID'],
    ['fromHex: whitespace', () => fromHex('00 '), 'ERR_STATEMENT_ENCODING_INVALID'],
    ['fromHex: number', () => fromHex(12 as unknown as string), 'TypeError'],
    ['toHex: string', () => toHex('ab' as unknown as Uint8Array), 'TypeError'],
    ['toHex: number[]', () => toHex([1, 2] as unknown as Uint8Array), 'TypeError'],
    ['fromBase64: missing padding', () => fromBase64('Zg'), 'ERR_STATEMENT_ENCODING_INVALID'],
    ['fromBase64: too much padding', () => fromBase64('Zg==='), 'ERR_STATEMENT_ENCODING_INVALID'],
    ['fromBase64: padding in the middle', () => fromBase64('Zg==Zg=='), 'ERR_STATEMENT_ENCODING_INVALID'],
    ['fromBase64: url alphabet', () => fromBase64('-_8='), 'ERR_STATEMENT_ENCODING_INVALID'],
    ['fromBase64: non-canonical trailing bits', () => fromBase64('Zh=='), 'ERR_STATEMENT_ENCODING_INVALID'],
    ['fromBase64: whitespace', () => fromBase64('Zm9v\n'), 'ERR_STATEMENT_ENCODING_INVALID'],
    ['fromBase64: non-ASCII', () => fromBase64('Zm9é'), 'ERR_STATEMENT_ENCODING_INVALID'],
    ['fromBase64: only padding', () => fromBase64('===='), 'ERR_STATEMENT_ENCODING_INVALID'],
    ['fromBase64: null', () => fromBase64(null as unknown as string), 'TypeError'],
    ['fromBase64Url: padding', () => fromBase64Url('Zg=='), 'ERR_STATEMENT_ENCODING_INVALID'],
    ['fromBase64Url: standard alphabet', () => fromBase64Url('+/8'), 'ERR_STATEMENT_ENCODING_INVALID'],
    ['fromBase64Url: non-canonical trailing bits', () => fromBase64Url('Zh'), 'ERR_STATEMENT_ENCODING_INVALID'],
    ['fromBase64Url: impossible length', () => fromBase64Url('Zm9vY'), 'ERR_STATEMENT_ENCODING_INVALID'],
    ['fromBase64Url: bytes', () => fromBase64Url(new Uint8Array(1) as unknown as string), 'TypeError'],
    ['toBase64: ArrayBuffer', () => toBase64(new ArrayBuffer(3) as unknown as Uint8Array), 'TypeError'],
    ['toBase64Url: undefined', () => toBase64Url(undefined as unknown as Uint8Array), 'TypeError'],
    ['utf8: number', () => utf8(5 as unknown as string), 'TypeError'],
    ['fromUtf8: invalid UTF-8', () => fromUtf8(Uint8Array.of(0xc3, 0x28)), 'ERR_STATEMENT_ENCODING_INVALID'],
    ['fromUtf8: overlong encoding', () => fromUtf8(Uint8Array.of(0xc0, 0xaf)), 'ERR_STATEMENT_ENCODING_INVALID'],
    ['fromUtf8: encoded surrogate', () => fromUtf8(Uint8Array.of(0xed, 0xa0, 0x80)), 'ERR_STATEMENT_ENCODING_INVALID'],
    ['fromUtf8: truncated sequence', () => fromUtf8(Uint8Array.of(0xe2, 0x82)), 'ERR_STATEMENT_ENCODING_INVALID'],
    ['fromUtf8: string', () => fromUtf8('x' as unknown as Uint8Array), 'TypeError'],
    ['concatBytes: a string part', () => concatBytes(new Uint8Array(1), 'x' as unknown as Uint8Array), 'TypeError'],
    ['bytesEqual: null', () => bytesEqual(null as unknown as Uint8Array, new Uint8Array(0)), 'TypeError'],
    ['randomBytes: negative', () => randomBytes(-1), 'RangeError'],
    ['randomBytes: fraction', () => randomBytes(1.5), 'RangeError'],
    ['randomBytes: too many', () => randomBytes(2 ** 21), 'RangeError'],
    ['randomBytes: string', () => randomBytes('4' as unknown as number), 'RangeError'],
    ['sha256: string', () => sha256('abc' as unknown as Uint8Array), 'TypeError'],
    ['sha256Hex: number[]', () => sha256Hex([1] as unknown as Uint8Array), 'TypeError'],
  ];
  it.each(table)('%s', (_name, fn, expected) => {
    expect(outcome(fn)).toBe(expected);
  });

  it('randomBytes fills more than one getRandomValues quota', () => {
    const big = randomBytes(200_000);
    expect(big.length).toBe(200_000);
    expect(big.subarray(190_000).some((b) => b !== 0)).toBe(true);
  });
});
