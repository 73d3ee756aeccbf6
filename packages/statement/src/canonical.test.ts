import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { vectorBytes, vectorFiles, vectorText } from '../test/vectors.js';
import { fromHex, toHex } from './encoding.js';
import { canonicalBytes, canonicalHasProtoMember, canonicalize, canonicalOrder, type JsonValue } from './canonical.js';
import { StatementError } from './errors.js';
import { parseJson } from './json-parse.js';

// JSON.parse(JSON.stringify(v)) turns -0 into 0, as canonical JSON does.
// parseJson refuses "__proto__" members by design, so leave them out of generated values.
const jsonValue = fc
  .jsonValue({ maxDepth: 6 })
  .map((v) => JSON.parse(JSON.stringify(v)) as JsonValue)
  .filter((v) => !JSON.stringify(v).includes('"__proto__":'));

describe('RFC 8785 known answers (cyberphone/json-canonicalization test data)', () => {
  const names = vectorFiles('rfc8785/input');
  it('finds the vectors', () => {
    expect(names.length).toBeGreaterThanOrEqual(6);
  });
  it.each(names)('%s canonicalizes to the exact output bytes', (name) => {
    const input = parseJson(vectorText(`rfc8785/input/${name}`));
    const expected = vectorBytes(`rfc8785/output/${name}`);
    expect(toHex(canonicalBytes(input))).toBe(toHex(expected));
    const hex = vectorText(`rfc8785/outhex/${name.replace(/\.json$/, '.txt')}`).replace(/\s+/g, '');
    expect(canonicalBytes(input)).toEqual(fromHex(hex));
    // The canonical form is a fixed point.
    expect(canonicalize(parseJson(canonicalize(input)))).toBe(canonicalize(input));
  });

  // RFC 8785 Appendix B: ECMAScript number serialisation of IEEE 754 values.
  const numbers: ReadonlyArray<readonly [string, string]> = [
    ['0000000000000000', '0'],
    ['8000000000000000', '0'],
    ['0000000000000001', '5e-324'],
    ['8000000000000001', '-5e-324'],
    ['7fefffffffffffff', '1.7976931348623157e+308'],
    ['ffefffffffffffff', '-1.7976931348623157e+308'],
    ['4340000000000000', '9007199254740992'],
    ['c340000000000000', '-9007199254740992'],
    ['4430000000000000', '295147905179352830000'],
    ['44b52d02c7e14af5', '9.999999999999997e+22'],
    ['44b52d02c7e14af6', '1e+23'],
    ['44b52d02c7e14af7', '1.0000000000000001e+23'],
    ['444b1ae4d6e2ef4e', '999999999999999700000'],
    ['444b1ae4d6e2ef4f', '999999999999999900000'],
    ['444b1ae4d6e2ef50', '1e+21'],
    ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'],
    ['3eb0c6f7a0b5ed8d', '0.000001'],
    ['41b3de4355555553', '333333333.3333332'],
    ['41b3de4355555554', '333333333.33333325'],
    ['41b3de4355555555', '333333333.3333333'],
    ['41b3de4355555556', '333333333.3333334'],
    ['41b3de4355555557', '333333333.33333343'],
    ['becbf647612f3696', '-0.0000033333333333333333'],
    ['43143ff3c1cb0959', '1424953923781206.2'],
  ];
  it.each(numbers)('RFC 8785 Appendix B: IEEE 754 %s -> %s', (bits, text) => {
    const value = new DataView(fromHex(bits).buffer).getFloat64(0);
    expect(canonicalize(value)).toBe(text);
  });
});

describe('canonicalize properties', () => {
  it('is idempotent: canonicalize(parse(canonicalize(v))) === canonicalize(v)', () => {
    fc.assert(
      fc.property(jsonValue, (v) => {
        const once = canonicalize(v);
        expect(canonicalize(parseJson(once))).toBe(once);
        expect(canonicalize(JSON.parse(once))).toBe(once);
      }),
      { numRuns: 500 },
    );
  });

  it('does not depend on key insertion order, and sorts by UTF-16 code units', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ unit: 'binary' }), fc.integer()), (dict) => {
        const reversed = Object.fromEntries(Object.entries(dict).reverse());
        expect(canonicalize(reversed)).toBe(canonicalize(dict));
      }),
    );
    // U+1F600 (surrogates D83D DE00) sorts before U+FF5E in UTF-16 order, after it in code points.
    expect(canonicalize({ '\uff5e': 1, '😀': 2 })).toBe('{"😀":2,"～":1}');
  });

  it('agrees with JSON.stringify on values with sorted keys', () => {
    fc.assert(
      fc.property(jsonValue, (v) => {
        const sortKeys = (x: unknown): unknown =>
          Array.isArray(x)
            ? x.map(sortKeys)
            : x !== null && typeof x === 'object'
              ? Object.fromEntries(
                  Object.keys(x)
                    .sort()
                    .map((k) => [k, sortKeys((x as Record<string, unknown>)[k])]),
                )
              : x;
        // Integer-like keys are ordered numerically by JS objects, so compare parsed values instead of text.
        expect(JSON.parse(canonicalize(v))).toEqual(JSON.parse(JSON.stringify(sortKeys(v))));
      }),
      { numRuns: 200 },
    );
  });
});

describe('canonicalize bad input', () => {
  const cycle: Record<string, unknown> = {};
  cycle.self = cycle;
  const sparse: unknown[] = [1];
  sparse[2] = 3;
  const deep = JSON.parse(`${'['.repeat(65)}${']'.repeat(65)}`) as unknown;
  const table: ReadonlyArray<readonly [string, unknown, string]> = [
    ['undefined', undefined, 'ERR_STATEMENT_JSON_UNSUPPORTED_VALUE'],
    ['undefined member', { a: undefined }, 'ERR_STATEMENT_JSON_UNSUPPORTED_VALUE'],
    ['function', () => 1, 'ERR_STATEMENT_JSON_UNSUPPORTED_VALUE'],
    ['symbol', Symbol('s'), 'ERR_STATEMENT_JSON_UNSUPPORTED_VALUE'],
    ['symbol key', { [Symbol('k')]: 1 }, 'ERR_STATEMENT_JSON_UNSUPPORTED_VALUE'],
    ['BigInt', 10n, 'ERR_STATEMENT_JSON_UNSUPPORTED_VALUE'],
    ['NaN', Number.NaN, 'ERR_STATEMENT_JSON_UNSUPPORTED_VALUE'],
    ['Infinity', Number.POSITIVE_INFINITY, 'ERR_STATEMENT_JSON_UNSUPPORTED_VALUE'],
    ['-Infinity in an array', [Number.NEGATIVE_INFINITY], 'ERR_STATEMENT_JSON_UNSUPPORTED_VALUE'],
    ['Map', new Map([['a', 1]]), 'ERR_STATEMENT_JSON_UNSUPPORTED_VALUE'],
    ['Set', new Set([1]), 'ERR_STATEMENT_JSON_UNSUPPORTED_VALUE'],
    ['Date', new Date(0), 'ERR_STATEMENT_JSON_UNSUPPORTED_VALUE'],
    ['RegExp', /x/, 'ERR_STATEMENT_JSON_UNSUPPORTED_VALUE'],
    ['Uint8Array', new Uint8Array(2), 'ERR_STATEMENT_JSON_UNSUPPORTED_VALUE'],
    ['boxed String', new String('x'), 'ERR_STATEMENT_JSON_UNSUPPORTED_VALUE'],
    ['class instance', new (class Thing {})(), 'ERR_STATEMENT_JSON_UNSUPPORTED_VALUE'],
    ['object with toJSON is not special', { toJSON: () => 1 }, 'ERR_STATEMENT_JSON_UNSUPPORTED_VALUE'],
    ['sparse array', sparse, 'ERR_STATEMENT_JSON_UNSUPPORTED_VALUE'],
    ['lone high surrogate', '\ud800', 'ERR_STATEMENT_JSON_UNSUPPORTED_VALUE'],
    ['lone low surrogate', 'a\udc00', 'ERR_STATEMENT_JSON_UNSUPPORTED_VALUE'],
    ['lone surrogate in a key', { '\ud800': 1 }, 'ERR_STATEMENT_JSON_UNSUPPORTED_VALUE'],
    ['cycle', cycle, 'ERR_STATEMENT_JSON_CYCLE'],
    ['nesting deeper than 64', deep, 'ERR_STATEMENT_JSON_TOO_DEEP'],
  ];
  it.each(table)('refuses %s', (_name, value, code) => {
    let caught: unknown;
    try {
      canonicalize(value);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(StatementError);
    expect((caught as StatementError).code).toBe(code);
  });

  it('names the path of the offending value', () => {
    expect(() => canonicalize({ a: [1, { b: undefined }] })).toThrow(/at \$\.a\[1\]\.b$/);
    expect(() => canonicalize([{ '\ud800': 1 }])).toThrow(/lone surrogate at \$\[0\]\./);
  });

  it('accepts shared (non-cyclic) references, null-prototype objects and -0', () => {
    const shared = { a: 1 };
    expect(canonicalize({ x: shared, y: shared })).toBe('{"x":{"a":1},"y":{"a":1}}');
    expect(canonicalize(Object.assign(Object.create(null) as object, { b: 1 }))).toBe('{"b":1}');
    expect(canonicalize(-0)).toBe('0');
  });

  it('canonicalBytes refuses the same values with the same codes', () => {
    expect(() => canonicalBytes({ a: 1n })).toThrow(/BigInt|bigint/);
    expect(() => canonicalBytes(new Map())).toThrow(StatementError);
    expect(canonicalBytes({ b: 'é', a: 1 })).toEqual(new TextEncoder().encode('{"a":1,"b":"é"}'));
  });

  it('throws RangeError on a bad maxDepth', () => {
    expect(() => canonicalize(1, { maxDepth: 0 })).toThrow(RangeError);
    expect(() => canonicalize(1, { maxDepth: 1.5 })).toThrow(RangeError);
  });
});

describe('canonicalHasProtoMember', () => {
  /** Whether a parsed JSON value has an own member named `__proto__` at any depth. */
  const hasProto = (v: unknown): boolean =>
    typeof v === 'object' && v !== null && (Object.hasOwn(v, '__proto__') || Object.values(v).some((x) => hasProto(x)));
  // Keys and strings made of the pieces that could fool a text search: quotes, backslashes, braces, commas.
  const tricky = fc.string({ unit: fc.constantFrom('__proto__', '"', '\\', '{', ',', ':', 'a'), maxLength: 6 });
  const value = fc.letrec((tie) => ({
    node: fc.oneof(
      { depthSize: 'small' },
      tricky,
      fc.integer(),
      tie('object'),
      fc.array(tie('node'), { maxLength: 3 }),
    ),
    object: fc
      .array(fc.tuple(fc.oneof(tricky, fc.constant('__proto__')), tie('node')), { maxLength: 4 })
      .map((entries) =>
        JSON.parse(`{${entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`),
      ),
  })).node;

  it('is true exactly when the value has a member named __proto__ at any depth (property)', () => {
    fc.assert(
      fc.property(value, (v) => {
        expect(canonicalHasProtoMember(canonicalize(v))).toBe(hasProto(v));
      }),
      { numRuns: 2000 },
    );
  });

  it('finds one at the top, nested, and in an array; not inside a string or a longer name', () => {
    expect(canonicalHasProtoMember(canonicalize(JSON.parse('{"__proto__":1}')))).toBe(true);
    expect(canonicalHasProtoMember(canonicalize(JSON.parse('{"a":[{"b":1,"__proto__":{}}]}')))).toBe(true);
    expect(canonicalHasProtoMember(canonicalize({ a: '{"__proto__":1}' }))).toBe(false);
    expect(canonicalHasProtoMember(canonicalize({ 'x"__proto__': 1, __proto__x: 2 }))).toBe(false);
  });
});

describe('canonicalOrder', () => {
  it('orders names exactly as the default sort does (by UTF-16 code units), in place, below and above 16 names (property)', () => {
    const name = fc.oneof(
      fc.string({ maxLength: 4 }),
      fc.string({ unit: 'binary', maxLength: 3 }),
      fc.constantFrom('a', 'A', 'é', '\u{1F600}', '\uD800', '10', '9'),
    );
    fc.assert(
      fc.property(fc.array(name, { maxLength: 40 }), (names) => {
        const copy = [...names];
        const sorted = canonicalOrder(copy);
        expect(sorted).toBe(copy);
        expect(sorted).toEqual([...names].sort());
      }),
      { numRuns: 2000 },
    );
  });
});

describe('canonicalize with one writer for every call', () => {
  it('a getter that canonicalizes while the value is written gets a writer of its own', () => {
    const inner = { b: [1, { c: 'x' }], a: null };
    const value = {
      z: 1,
      get y() {
        return canonicalize(inner);
      },
      x: { w: [true] },
    };
    expect(canonicalize(value)).toBe('{"x":{"w":[true]},"y":"{\\"a\\":null,\\"b\\":[1,{\\"c\\":\\"x\\"}]}","z":1}');
  });

  it('after a refusal deep inside a value, the next value is written and its problems named from the top', () => {
    const cyclic: Record<string, unknown> = { a: { b: [1, 2] } };
    (cyclic.a as Record<string, unknown>).self = cyclic;
    expect(() => canonicalize(cyclic)).toThrow('cycle at $.a.self');
    expect(() => canonicalize({ p: [{ q: Number.NaN }] })).toThrow('at $.p[0].q');
    expect(canonicalize({ b: { d: 1, c: 2 }, a: [cyclic.a === undefined] })).toBe('{"a":[false],"b":{"c":2,"d":1}}');
    // A value shared by two members is no cycle, and a deep one still hits the depth limit, not a cycle.
    const shared = { s: 1 };
    expect(canonicalize({ a: shared, b: [shared, shared] })).toBe('{"a":{"s":1},"b":[{"s":1},{"s":1}]}');
    let deep: unknown = 1;
    for (let i = 0; i < 70; i++) deep = [deep];
    expect(() => canonicalize(deep)).toThrow(expect.objectContaining({ code: 'ERR_STATEMENT_JSON_TOO_DEEP' }));
  });
});
