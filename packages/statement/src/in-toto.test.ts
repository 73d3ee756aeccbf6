import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalBytes } from './canonical.js';
import { digestArgs, digestCanonicalText, sha256Digest } from './digest.js';
import { utf8 } from './encoding.js';
import { StatementError } from './errors.js';
import { parseStatement, STATEMENT_V1_TYPE } from './in-toto.js';

const HEX = 'a'.repeat(64);
const statement = (patch: Record<string, unknown> = {}) => ({
  _type: STATEMENT_V1_TYPE,
  subject: [{ name: 'tool-call:c1', digest: { sha256: HEX } }],
  predicateType: 'https://example.com/p/v1',
  predicate: { a: 1 },
  ...patch,
});

function code(fn: () => unknown): string {
  try {
    fn();
    return 'accepted';
  } catch (error) {
    return error instanceof StatementError ? error.code : (error as Error).name;
  }
}

describe('parseStatement (in-toto Statement v1)', () => {
  it('reads the example of the in-toto attestation framework (statement.md shape), frozen', () => {
    const parsed = parseStatement(canonicalBytes(statement()), { predicateType: 'https://example.com/p/v1' });
    expect(parsed).toEqual(statement());
    expect(Object.isFrozen(parsed.subject[0]?.digest)).toBe(true);
    expect(Object.isFrozen(parsed.predicate)).toBe(true);
  });

  const rows: ReadonlyArray<readonly [string, () => Uint8Array | unknown, string]> = [
    ['not UTF-8', () => Uint8Array.of(0xff), 'ERR_STATEMENT_PAYLOAD_INVALID'],
    ['not JSON', () => utf8('{'), 'ERR_STATEMENT_PAYLOAD_INVALID'],
    ['an array', () => utf8('[]'), 'ERR_STATEMENT_PAYLOAD_INVALID'],
    [
      'duplicate member',
      () => utf8(`{"_type":"x",${JSON.stringify(statement()).slice(1)}`),
      'ERR_STATEMENT_PAYLOAD_INVALID',
    ],
    [
      '__proto__ member',
      () => utf8(JSON.stringify(statement()).replace('{', '{"__proto__":{},')),
      'ERR_STATEMENT_PAYLOAD_INVALID',
    ],
    [
      'deep predicate',
      () => utf8(JSON.stringify(statement({ predicate: { a: JSON.parse(`${'['.repeat(64)}${']'.repeat(64)}`) } }))),
      'ERR_STATEMENT_PAYLOAD_INVALID',
    ],
    [
      'wrong _type',
      () => canonicalBytes(statement({ _type: 'https://in-toto.io/Statement/v0.1' })),
      'ERR_STATEMENT_PAYLOAD_INVALID',
    ],
    [
      'other predicate type',
      () => canonicalBytes(statement({ predicateType: 'https://slsa.dev/provenance/v1' })),
      'ERR_STATEMENT_PAYLOAD_INVALID',
    ],
    ['extra field', () => canonicalBytes(statement({ extra: 1 })), 'ERR_STATEMENT_PAYLOAD_INVALID'],
    [
      'missing predicate',
      () => utf8(JSON.stringify({ ...statement(), predicate: undefined })),
      'ERR_STATEMENT_PAYLOAD_INVALID',
    ],
    ['predicate an array', () => canonicalBytes(statement({ predicate: [] })), 'ERR_STATEMENT_PAYLOAD_INVALID'],
    ['no subject', () => canonicalBytes(statement({ subject: [] })), 'ERR_STATEMENT_PAYLOAD_INVALID'],
    [
      'subject uri (unread fields refused)',
      () => canonicalBytes(statement({ subject: [{ name: 'x', uri: 'y', digest: { sha256: HEX } }] })),
      'ERR_STATEMENT_PAYLOAD_INVALID',
    ],
    [
      'upper-case digest',
      () => canonicalBytes(statement({ subject: [{ name: 'x', digest: { sha256: HEX.toUpperCase() } }] })),
      'ERR_STATEMENT_PAYLOAD_INVALID',
    ],
    [
      'short digest',
      () => canonicalBytes(statement({ subject: [{ name: 'x', digest: { sha256: 'ab' } }] })),
      'ERR_STATEMENT_PAYLOAD_INVALID',
    ],
    [
      'unknown algorithm',
      () => canonicalBytes(statement({ subject: [{ name: 'x', digest: { md5: 'ab' } }] })),
      'ERR_STATEMENT_PAYLOAD_INVALID',
    ],
    [
      'empty digest set',
      () => canonicalBytes(statement({ subject: [{ name: 'x', digest: {} }] })),
      'ERR_STATEMENT_PAYLOAD_INVALID',
    ],
    [
      'empty name',
      () => canonicalBytes(statement({ subject: [{ name: '', digest: { sha256: HEX } }] })),
      'ERR_STATEMENT_PAYLOAD_INVALID',
    ],
    [
      'two subjects over the limit',
      () => canonicalBytes(statement({ subject: [statement().subject[0], statement().subject[0]] })),
      'ERR_STATEMENT_PAYLOAD_INVALID',
    ],
    ['a string, not bytes', () => JSON.stringify(statement()), 'TypeError'],
  ];
  it.each(rows)('refuses %s', (_name, input, expected) => {
    expect(
      code(() => parseStatement(input() as Uint8Array, { predicateType: 'https://example.com/p/v1', maxSubjects: 1 })),
    ).toBe(expected);
  });
});

describe('digests', () => {
  it('digestArgs is sha256 of the RFC 8785 text, independent of key order (property)', () => {
    // FIPS 180-4 "abc" through the text path.
    expect(sha256Digest(utf8('abc'))).toBe('sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(digestArgs({ b: 1, a: 2 })).toBe(digestCanonicalText('{"a":2,"b":1}'));
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.integer()), (value) => {
        const reversed = Object.fromEntries(Object.entries(value).reverse());
        expect(digestArgs(reversed)).toBe(digestArgs(value));
      }),
    );
  });

  it('refuses values JSON cannot hold with a typed error', () => {
    expect(code(() => digestArgs({ a: undefined }))).toBe('ERR_STATEMENT_JSON_UNSUPPORTED_VALUE');
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(code(() => digestArgs(cycle))).toBe('ERR_STATEMENT_JSON_CYCLE');
  });
});
