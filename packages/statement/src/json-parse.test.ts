import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalize, type JsonValue } from './canonical.js';
import { StatementError, type StatementErrorCode } from './errors.js';
import { parseCanonicalJson, parseJson } from './json-parse.js';

function codeOf(fn: () => unknown): StatementErrorCode | string {
  try {
    fn();
  } catch (error) {
    if (error instanceof StatementError) return error.code;
    if (error instanceof TypeError) return 'TypeError';
    if (error instanceof RangeError) return 'RangeError';
    return `unexpected ${String(error)}`;
  }
  return 'accepted';
}

// -0 survives JSON as "0" once canonicalized, so compare against the canonical number.
// parseJson refuses "__proto__" members by design, so leave them out of generated values.
const jsonValue = fc
  .jsonValue({ maxDepth: 6 })
  .map((v) => JSON.parse(JSON.stringify(v)) as JsonValue)
  .filter((v) => !JSON.stringify(v).includes('"__proto__":'));

describe('parseJson', () => {
  it('parses every RFC 8259 value form', () => {
    expect(parseJson(' {"a" : [1, -2.5e3, 0.1, true, false, null, "x\\u00e9\\n\\/"]}\r\n')).toEqual({
      a: [1, -2500, 0.1, true, false, null, 'xé\n/'],
    });
    expect(parseJson('"\\ud83d\\ude00"')).toBe('😀');
    expect(parseJson('"😀"')).toBe('😀');
    expect(parseJson('[]')).toEqual([]);
    expect(parseJson('{}')).toEqual({});
    expect(parseJson('-0')).toBe(-0);
    expect(parseJson('1E+2')).toBe(100);
  });

  it('creates objects that cannot reach or inherit from Object.prototype', () => {
    const value = parseJson('{"constructor":{"prototype":{"polluted":1}},"toString":1}') as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBeNull();
    expect(Object.keys(value)).toEqual(['constructor', 'toString']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect('hasOwnProperty' in value).toBe(false);
    expect(canonicalize(value)).toBe('{"constructor":{"prototype":{"polluted":1}},"toString":1}');
  });

  it('round-trips canonical JSON of any value (property)', () => {
    fc.assert(
      fc.property(jsonValue, (v) => {
        expect(parseJson(canonicalize(v))).toEqual(v);
      }),
      { numRuns: 500 },
    );
  });

  it('agrees with JSON.parse on text JSON.stringify writes (property)', () => {
    fc.assert(
      fc.property(jsonValue, fc.boolean(), (v, pretty) => {
        const text = pretty ? JSON.stringify(v, null, 2) : JSON.stringify(v);
        expect(parseJson(text)).toEqual(JSON.parse(text));
      }),
      { numRuns: 300 },
    );
  });

  it('never throws anything but a coded error on arbitrary text (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (text) => {
        const code = codeOf(() => parseJson(text));
        expect([
          'accepted',
          'ERR_STATEMENT_JSON_PARSE',
          'ERR_STATEMENT_JSON_DUPLICATE_KEY',
          'ERR_STATEMENT_JSON_FORBIDDEN_KEY',
        ]).toContain(code);
      }),
      { numRuns: 1000 },
    );
  });

  it('enforces depth without recursion: a million [ is refused, not a stack overflow', () => {
    expect(codeOf(() => parseJson('['.repeat(1_000_000)))).toBe('ERR_STATEMENT_JSON_TOO_DEEP');
    expect(codeOf(() => parseJson('{"a":'.repeat(200_000), { maxBytes: 10_000_000 }))).toBe(
      'ERR_STATEMENT_JSON_TOO_DEEP',
    );
    // maxDepth counts containers the way canonicalize does.
    const deep = `${'['.repeat(64)}${']'.repeat(64)}`;
    expect(canonicalize(parseJson(deep))).toBe(deep);
    expect(codeOf(() => parseJson(`[${deep}]`))).toBe('ERR_STATEMENT_JSON_TOO_DEEP');
    expect(codeOf(() => parseJson('[[1]]', { maxDepth: 1 }))).toBe('ERR_STATEMENT_JSON_TOO_DEEP');
    // A large explicit limit still parses deep input iteratively.
    const veryDeep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    expect(Array.isArray(parseJson(veryDeep, { maxDepth: 100_000 }))).toBe(true);
  });

  it('enforces size in UTF-8 bytes', () => {
    expect(codeOf(() => parseJson(`"${'a'.repeat(1024 * 1024)}"`))).toBe('ERR_STATEMENT_JSON_TOO_LARGE');
    expect(codeOf(() => parseJson('"aaaa"', { maxBytes: 6 }))).toBe('accepted');
    expect(codeOf(() => parseJson('"aaaaa"', { maxBytes: 6 }))).toBe('ERR_STATEMENT_JSON_TOO_LARGE');
    // 'é' is 2 bytes, '😀' is 4.
    expect(codeOf(() => parseJson('"éé"', { maxBytes: 6 }))).toBe('accepted');
    expect(codeOf(() => parseJson('"😀"', { maxBytes: 5 }))).toBe('ERR_STATEMENT_JSON_TOO_LARGE');
    expect(codeOf(() => parseJson('"😀"', { maxBytes: 6 }))).toBe('accepted');
  });

  it('reports the character offset of a syntax error', () => {
    const messageOf = (text: string) => {
      try {
        parseJson(text);
      } catch (error) {
        return (error as Error).message;
      }
      return 'accepted';
    };
    expect(messageOf('{"a":1,}')).toMatch(/at offset 7:/);
    expect(messageOf('[1 2]')).toMatch(/at offset 3:/);
    expect(messageOf('{"a" 1}')).toMatch(/at offset 5:/);
    expect(messageOf('[1,')).toMatch(/at end of input/);
    expect(messageOf('"a\u0001"')).toMatch(/at offset 2:/);
  });

  const bad: ReadonlyArray<readonly [string, string, StatementErrorCode]> = [
    ['empty text', '', 'ERR_STATEMENT_JSON_PARSE'],
    ['only whitespace', ' \n', 'ERR_STATEMENT_JSON_PARSE'],
    ['byte-order mark', '\uFEFF{}', 'ERR_STATEMENT_JSON_PARSE'],
    ['non-JSON whitespace', '\u00a0{}', 'ERR_STATEMENT_JSON_PARSE'],
    ['trailing comma in array', '[1,]', 'ERR_STATEMENT_JSON_PARSE'],
    ['trailing comma in object', '{"a":1,}', 'ERR_STATEMENT_JSON_PARSE'],
    ['leading comma', '[,1]', 'ERR_STATEMENT_JSON_PARSE'],
    ['missing comma', '{"a":1 "b":2}', 'ERR_STATEMENT_JSON_PARSE'],
    ['two top-level values', '{} {}', 'ERR_STATEMENT_JSON_PARSE'],
    ['unclosed array', '[1', 'ERR_STATEMENT_JSON_PARSE'],
    ['unclosed object', '{"a":1', 'ERR_STATEMENT_JSON_PARSE'],
    ['mismatched close', '[1}', 'ERR_STATEMENT_JSON_PARSE'],
    ['unquoted key', '{a:1}', 'ERR_STATEMENT_JSON_PARSE'],
    ['single quotes', "{'a':1}", 'ERR_STATEMENT_JSON_PARSE'],
    ['comment', '[1 /* c */]', 'ERR_STATEMENT_JSON_PARSE'],
    ['leading zero', '01', 'ERR_STATEMENT_JSON_PARSE'],
    ['leading plus', '+1', 'ERR_STATEMENT_JSON_PARSE'],
    ['bare minus', '-', 'ERR_STATEMENT_JSON_PARSE'],
    ['bare dot', '.5', 'ERR_STATEMENT_JSON_PARSE'],
    ['trailing dot', '1.', 'ERR_STATEMENT_JSON_PARSE'],
    ['empty exponent', '1e', 'ERR_STATEMENT_JSON_PARSE'],
    ['hex number', '0x10', 'ERR_STATEMENT_JSON_PARSE'],
    ['NaN', 'NaN', 'ERR_STATEMENT_JSON_PARSE'],
    ['Infinity', '-Infinity', 'ERR_STATEMENT_JSON_PARSE'],
    ['number overflowing a double', '1e400', 'ERR_STATEMENT_JSON_PARSE'],
    ['truncated literal', 'tru', 'ERR_STATEMENT_JSON_PARSE'],
    ['capitalised literal', 'True', 'ERR_STATEMENT_JSON_PARSE'],
    ['undefined', 'undefined', 'ERR_STATEMENT_JSON_PARSE'],
    ['unterminated string', '"abc', 'ERR_STATEMENT_JSON_PARSE'],
    ['raw newline in string', '"a\nb"', 'ERR_STATEMENT_JSON_PARSE'],
    ['raw NUL in string', '"a\u0000"', 'ERR_STATEMENT_JSON_PARSE'],
    ['invalid escape', '"\\x41"', 'ERR_STATEMENT_JSON_PARSE'],
    ['short \\u escape', '"\\u12"', 'ERR_STATEMENT_JSON_PARSE'],
    ['non-hex \\u escape', '"\\u12G4"', 'ERR_STATEMENT_JSON_PARSE'],
    ['escaped lone high surrogate', '"\\ud800"', 'ERR_STATEMENT_JSON_PARSE'],
    ['escaped lone low surrogate', '"\\udc00x"', 'ERR_STATEMENT_JSON_PARSE'],
    ['reversed surrogate pair', '"\\udc00\\ud800"', 'ERR_STATEMENT_JSON_PARSE'],
    ['raw lone surrogate', '"\ud800"', 'ERR_STATEMENT_JSON_PARSE'],
    ['lone surrogate in a key', '{"\\ud800":1}', 'ERR_STATEMENT_JSON_PARSE'],
    ['duplicate key', '{"a":1,"a":2}', 'ERR_STATEMENT_JSON_DUPLICATE_KEY'],
    ['duplicate key through an escape', '{"a":1,"\\u0061":2}', 'ERR_STATEMENT_JSON_DUPLICATE_KEY'],
    ['nested duplicate key', '[{"b":{"x":1,"y":2,"x":3}}]', 'ERR_STATEMENT_JSON_DUPLICATE_KEY'],
    ['__proto__ key', '{"__proto__":{"polluted":true}}', 'ERR_STATEMENT_JSON_FORBIDDEN_KEY'],
    ['escaped __proto__ key', '{"\\u005f_proto__":{}}', 'ERR_STATEMENT_JSON_FORBIDDEN_KEY'],
    ['nested __proto__ key', '{"a":[{"__proto__":1}]}', 'ERR_STATEMENT_JSON_FORBIDDEN_KEY'],
  ];
  it.each(bad)('refuses %s', (_name, text, code) => {
    expect(codeOf(() => parseJson(text))).toBe(code);
  });

  const misuse: ReadonlyArray<readonly [string, () => unknown, string]> = [
    ['a number', () => parseJson(1 as unknown as string), 'TypeError'],
    ['null', () => parseJson(null as unknown as string), 'TypeError'],
    ['bytes', () => parseJson(new Uint8Array(2) as unknown as string), 'TypeError'],
    ['a String object', () => parseJson(new String('1') as unknown as string), 'TypeError'],
    ['null options', () => parseJson('1', null as unknown as object), 'TypeError'],
    ['maxDepth 0', () => parseJson('1', { maxDepth: 0 }), 'RangeError'],
    ['maxDepth 1.5', () => parseJson('1', { maxDepth: 1.5 }), 'RangeError'],
    ['maxDepth string', () => parseJson('1', { maxDepth: '3' as unknown as number }), 'RangeError'],
    ['maxBytes -1', () => parseJson('1', { maxBytes: -1 }), 'RangeError'],
    ['maxBytes Infinity', () => parseJson('1', { maxBytes: Number.POSITIVE_INFINITY }), 'RangeError'],
  ];
  it.each(misuse)('throws on misuse: %s', (_name, fn, expected) => {
    expect(codeOf(fn)).toBe(expected);
  });
});

/** What a verifier of canonical JSON did before parseCanonicalJson: parse, canonicalize again, compare. */
type Outcome = { readonly value: JsonValue } | { readonly code: string };

function slowCanonical(text: string): Outcome {
  let value: JsonValue;
  try {
    value = parseJson(text);
  } catch (error) {
    return { code: error instanceof StatementError ? error.code : String(error) };
  }
  return canonicalize(value) === text ? { value } : { code: 'ERR_STATEMENT_JSON_NOT_CANONICAL' };
}

function fastCanonical(text: string): Outcome {
  try {
    return { value: parseCanonicalJson(text) };
  } catch (error) {
    return { code: error instanceof StatementError ? error.code : String(error) };
  }
}

// Texts near canonical form: canonical text with one character changed, inserted or removed, pretty-printed or
// re-escaped text, and arbitrary short strings.
const nearCanonical = fc.oneof(
  jsonValue.map((v) => canonicalize(v)),
  fc
    .tuple(jsonValue, fc.nat(), fc.constantFrom(' ', '\\', '/', '"', '0', '-', 'e', '.', 'u', ',', ':', 'a', ''))
    .map(([v, at, c]) => {
      const text = canonicalize(v);
      const i = at % (text.length + 1);
      return c === '' ? text.slice(0, i) + text.slice(i + 1) : text.slice(0, i) + c + text.slice(i);
    }),
  jsonValue.map((v) => JSON.stringify(v, null, 1)),
  jsonValue.map((v) =>
    JSON.stringify(v).replace(/[\u00a0-\uffff/]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`),
  ),
  jsonValue.map((v) => JSON.stringify(v).replace(/\d+/g, (d) => `${d}.0`)),
  fc.string({ unit: 'binary', maxLength: 30 }),
);

describe('parseCanonicalJson', () => {
  it('accepts exactly the texts canonicalize writes, as parse then canonicalize again would', () => {
    fc.assert(
      fc.property(nearCanonical, (text) => {
        // The same value, or refused both ways; with the same code unless one way saw a non-canonical form
        // first (a text may be both non-canonical and invalid further on).
        const fast = fastCanonical(text);
        const slow = slowCanonical(text);
        if ('value' in slow) expect(fast).toEqual(slow);
        else {
          const code = 'code' in fast ? fast.code : 'accepted';
          const either = [code, slow.code].includes('ERR_STATEMENT_JSON_NOT_CANONICAL');
          expect(code === 'accepted' ? code : either ? slow.code : code).toBe(slow.code);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses each way canonical JSON text can differ, with ERR_STATEMENT_JSON_NOT_CANONICAL', () => {
    for (const text of [
      '{"a": 1}',
      ' 1',
      '[1,2] ',
      '{"b":1,"a":2}',
      '"\\/"',
      '"\\u0041"',
      '"\\u000a"',
      '"\\u001F"',
      '"\\ud83d\\ude00"',
      '1.0',
      '1e2',
      '-0',
      '0.10',
      '1E+21',
    ]) {
      expect(
        codeOf(() => parseCanonicalJson(text)),
        text,
      ).toBe('ERR_STATEMENT_JSON_NOT_CANONICAL');
    }
    expect(codeOf(() => parseCanonicalJson('{"a":1,"a":1}'))).toBe('ERR_STATEMENT_JSON_DUPLICATE_KEY');
    expect(codeOf(() => parseCanonicalJson('{"__proto__":1}'))).toBe('ERR_STATEMENT_JSON_FORBIDDEN_KEY');
    expect(codeOf(() => parseCanonicalJson('[[1]]', { maxDepth: 1 }))).toBe('ERR_STATEMENT_JSON_TOO_DEEP');
    expect(codeOf(() => parseCanonicalJson('"\\ud800"'))).toBe('ERR_STATEMENT_JSON_NOT_CANONICAL');
    expect(codeOf(() => parseCanonicalJson('"\ud800"'))).toBe('ERR_STATEMENT_JSON_PARSE');
  });

  it('accepts the escapes and number forms canonical JSON writes', () => {
    expect(
      parseCanonicalJson('{"":[1e+21,1e-7,-1.5,0],"a\\u001f\\n":"\\"\\\\\\b\\f\\n\\r\\t\\u0000\u2028é😀"}'),
    ).toEqual({
      '': [1e21, 1e-7, -1.5, 0],
      'a\u001f\n': '"\\\b\f\n\r\t\u0000\u2028é😀',
    });
  });
});
