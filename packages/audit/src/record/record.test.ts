import { canonicalBytes, toHex, utf8 } from '@agentguard/statement';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bodyOf, canonicalBody, RECORD_MAX_DEPTH, recordForms, recordLine, recordSigningBytes } from './record.js';

/** JSON values JCS can hold: no -0 (it becomes 0, which is fine), finite numbers, well-formed strings. */
const json = fc.jsonValue({ maxDepth: 4 });
const record = fc.record(
  {
    seq: fc.nat(),
    ts: fc.string(),
    type: fc.string(),
    hash: fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 64, maxLength: 64 }),
    sig: fc.base64String(),
    noteSig: fc.base64String(),
    prev: fc.string(),
    data: json,
    agent: fc.string(),
    // Keys that sort differently by UTF-16 code unit than by code point, and one that looks like "hash".
    ｚ: json,
    '\u{1F600}': json,
    hash2: json,
  },
  { requiredKeys: ['seq', 'hash'] },
);

describe('recordForms', () => {
  it('gives the record line and body bytes of two separate canonicalisations (property)', () => {
    fc.assert(
      fc.property(record, (r) => {
        const forms = recordForms(r);
        expect(forms.line).toBe(recordLine(r));
        expect(toHex(utf8(forms.body))).toBe(toHex(canonicalBytes(bodyOf(r), { maxDepth: RECORD_MAX_DEPTH })));
      }),
    );
  });

  it('refuses values JSON cannot hold, as canonicalisation does', () => {
    expect(() => recordForms({ seq: 0, data: Number.NaN })).toThrow();
    expect(() => recordForms({ seq: 0, data: '\uD800' })).toThrow();
  });
});

describe('canonicalBody', () => {
  it('gives the canonical body bytes, then the record line, canonicalising each member once (property)', () => {
    fc.assert(
      fc.property(record, (r) => {
        const body = bodyOf(r);
        const canonical = canonicalBody(body);
        expect(toHex(utf8(canonical.text))).toBe(toHex(canonicalBytes(body, { maxDepth: RECORD_MAX_DEPTH })));
        // The line: the body plus its unhashed members (hash, sig, noteSig), only those canonicalised.
        const added = Object.fromEntries(Object.entries(r).filter(([key]) => !Object.hasOwn(body, key)));
        expect(canonical.lineWith(added as Record<string, string>)).toBe(recordLine(r));
        // A member the body has already is never merged in blindly: the whole record is canonicalised.
        expect(canonical.lineWith({ type: 'call.failed', hash: 'ab' })).toBe(
          recordLine({ ...body, type: 'call.failed', hash: 'ab' }),
        );
      }),
    );
  });
});

describe('canonicalBody, top-level strings and numbers', () => {
  const scalar = fc.oneof(
    fc.string({ unit: 'binary' }),
    fc.string({ unit: fc.constantFrom('\uD800', '\uDC00', '\u2028', '"', '\\', '\u0000', '\u001f', '\u007f', 'a') }),
    fc.double(),
    fc.constantFrom(-0, 0, 1e21, 1e-7, Number.MAX_SAFE_INTEGER, Number.MIN_VALUE, Number.NaN, Number.POSITIVE_INFINITY),
  );
  it('writes them exactly as canonicalize does, and refuses what it refuses (property)', () => {
    fc.assert(
      fc.property(scalar, scalar, (a, b) => {
        const body = { ts: a, seq: b };
        let expected: string | undefined;
        try {
          expected = toHex(canonicalBytes(body, { maxDepth: RECORD_MAX_DEPTH }));
        } catch {
          expected = undefined;
        }
        if (expected === undefined) expect(() => canonicalBody(body)).toThrow();
        else expect(toHex(utf8(canonicalBody(body).text))).toBe(expected);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('recordSigningBytes', () => {
  it('is the domain prefix followed by the UTF-8 of the hash, for hex hashes and anything else (property)', () => {
    const hex = fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 64, maxLength: 64 });
    fc.assert(
      fc.property(fc.oneof(hex, fc.string({ unit: 'grapheme', maxLength: 70 })), (hash) => {
        const expected = toHex(utf8(`agentguard-audit-record-v1\n${hash}`));
        expect(toHex(recordSigningBytes(hash))).toBe(expected);
      }),
    );
  });
});
