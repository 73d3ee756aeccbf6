import { createHmac } from 'node:crypto';
import { canonicalize } from '@agentguard/statement';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRedactor, SECRET_KEYS } from './redact.js';
import { BUILTIN_DETECTORS, type Detector } from './detectors.js';
import { hmacSha256 } from './hmac.js';
import { containsRedaction, REDACTION_MARKER } from './text.js';

const KEY = new Uint8Array(32).fill(1);
const redactor = createRedactor({ key: KEY });
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const bytes = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));
const ascii = (s: string) => new Uint8Array(Buffer.from(s, 'latin1'));
/** The marker the redactor must write for `text`, computed independently with node:crypto. */
const expected = (kind: string, text: string, key = KEY) =>
  `[REDACTED:${kind}:hmac-sha256:${createHmac('sha256', key).update(text, 'utf8').digest('hex').slice(0, 16)}]`;

describe('HMAC-SHA256', () => {
  // RFC 4231 §4.2–4.8 (test case 5, a truncated output, does not apply).
  it.each([
    ['1', '0b'.repeat(20), ascii('Hi There'), 'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7'],
    [
      '2',
      hex(ascii('Jefe')),
      ascii('what do ya want for nothing?'),
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    ],
    ['3', 'aa'.repeat(20), bytes('dd'.repeat(50)), '773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe'],
    [
      '4',
      '0102030405060708090a0b0c0d0e0f10111213141516171819',
      bytes('cd'.repeat(50)),
      '82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b',
    ],
    [
      '6',
      'aa'.repeat(131),
      ascii('Test Using Larger Than Block-Size Key - Hash Key First'),
      '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54',
    ],
    [
      '7',
      'aa'.repeat(131),
      ascii(
        'This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.',
      ),
      '9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2',
    ],
  ])('passes RFC 4231 test case %s', (_, key, message, tag) => {
    expect(hex(hmacSha256(bytes(key))(message))).toBe(tag);
  });

  it('agrees with node:crypto for any key and message', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.uint8Array({ maxLength: 300 }), (key, message) => {
        const mac = hmacSha256(key);
        const want = createHmac('sha256', key).update(message).digest('hex');
        expect(hex(mac(message))).toBe(want);
        expect(hex(mac(message))).toBe(want); // the padded keys are reused, not consumed
      }),
    );
  });
});

describe('redact', () => {
  it('replaces only the matched span with a typed marker: the first 16 hex of HMAC-SHA256(key, value)', () => {
    const { value, findings } = redactor.redact('mail ada@example.com, then bob@example.org');
    expect(value).toBe(`mail ${expected('email', 'ada@example.com')}, then ${expected('email', 'bob@example.org')}`);
    expect(findings).toEqual([
      { kind: 'email', path: '', marker: expected('email', 'ada@example.com') },
      { kind: 'email', path: '', marker: expected('email', 'bob@example.org') },
    ]);
    expect(findings[0]?.marker).toMatch(REDACTION_MARKER);
  });

  it('covers keys, nested args and results, and card numbers passed as numbers; findings point into the output', () => {
    const input = { args: { to: ['ada@example.com'], n: 4111111111111111, ts: 1700000000000 }, 'ada@example.com': 1 };
    const { value, findings } = redactor.redact(input);
    expect(value).toEqual({
      args: {
        to: [expected('email', 'ada@example.com')],
        n: expected('payment-card', '4111111111111111'),
        ts: 1700000000000,
      },
      [expected('email', 'ada@example.com')]: 1,
    });
    expect(findings.map((f) => f.path)).toEqual(['/args/to/0', '/args/n', `/${expected('email', 'ada@example.com')}`]);
    expect(input.args.to[0]).toBe('ada@example.com'); // the caller's value is not changed
  });

  it('redacts named fields whole: JSON pointers, dotted paths with *, per call and always', () => {
    const r = createRedactor({ key: KEY, fields: ['/always'] });
    const input = { always: 'x', card: { number: 'n', cvc: 123 }, to: [{ email: 'e1' }, { email: null }], 'a/b': 'c' };
    const { value, findings } = r.redact(input, { fields: ['/card', 'to.*.email', '/a~1b', '/missing/x'] });
    expect(value).toEqual({
      always: expected('field', 'x'),
      card: expected('field', '{"cvc":123,"number":"n"}'),
      to: [{ email: expected('field', 'e1') }, { email: expected('field', 'null') }],
      'a/b': expected('field', 'c'),
    });
    expect(findings.every((f) => f.kind === 'field')).toBe(true);
    expect(r.redact(input, { fields: [''] }).value).toBe(expected('field', canonicalize(input)));
    expect(r.redact({ always: 1, other: 2 }).value).toEqual({ always: expected('field', '1'), other: 2 });
  });

  it('redacts the values of secret-looking keys, except null and booleans', () => {
    const input = {
      Password: 'hunter2',
      api_key: 'k',
      'X-Api-Key': 'z',
      nested: { client_secret: { a: 1 } },
      token: null,
      passwordRequired: true,
      tokens: 10,
    };
    expect(redactor.redact(input).value).toEqual({
      Password: expected('secret-field', 'hunter2'),
      api_key: expected('secret-field', 'k'),
      'X-Api-Key': expected('secret-field', 'z'),
      nested: { client_secret: expected('secret-field', '{"a":1}') },
      token: null,
      passwordRequired: true,
      tokens: 10,
    });
    expect(createRedactor({ key: KEY, keys: [] }).redact({ password: 'p' }).value).toEqual({ password: 'p' });
    expect(SECRET_KEYS).toContain('password');
  });

  it('runs only the detectors asked for, and custom ones', () => {
    const digits: { kind: string; find(t: string): Iterable<readonly [number, number]> } = {
      kind: 'order-id',
      *find(text) {
        for (const m of text.matchAll(/ORD-\d{6}/g)) yield [m.index, m.index + m[0].length];
      },
    };
    const r = createRedactor({ key: KEY, detectors: ['email', digits] });
    expect(r.redact('ada@example.com 4111111111111111 ORD-123456').value).toBe(
      `${expected('email', 'ada@example.com')} 4111111111111111 ${expected('order-id', 'ORD-123456')}`,
    );
  });

  it('fails safe: over-long strings, detectors that never settle or throw, odd values', () => {
    const long = `${'a'.repeat(70_000)} ada@example.com`;
    expect(redactor.redact(long).value).toBe(expected('oversize', long));
    expect(createRedactor({ key: KEY, maxStringLength: 10 }).redact('0123456789').value).toBe('0123456789');
    const restless = {
      kind: 'first',
      *find(t: string) {
        if (t.length > 0) yield [0, 1] as const;
      },
    };
    expect(createRedactor({ key: KEY, detectors: [restless] }).redact('abcdefgh').value).toBe(
      expected('unstable', 'abcdefgh'),
    );
    const throwing = {
      kind: 'boom',
      find(): Iterable<readonly [number, number]> {
        throw new Error('bug');
      },
    };
    const r = createRedactor({ key: KEY, detectors: [throwing] });
    expect(r.redact('text here').value).toBe('[REDACTED:error]');
    expect(r.redact({ a: 'text here', b: 1 }).value).toBe('[REDACTED:unsupported]');
    const wild = {
      kind: 'wild',
      *find(t: string) {
        if (t.length !== 8) return;
        yield [-5, 3] as const;
        yield [7, 1e9] as const;
      },
    };
    expect(createRedactor({ key: KEY, detectors: [wild] }).redact('abcdefgh').value).toBe(
      `${expected('wild', 'abc')}defg${expected('wild', 'h')}`,
    );
  });

  it('never throws on odd input and always returns plain JSON', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    const list: unknown[] = [1];
    list.push(list);
    let deep: unknown = 'bottom';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    const revoked = Proxy.revocable({}, {});
    revoked.revoke();
    const getter = Object.defineProperty({}, 'x', {
      enumerable: true,
      get: () => {
        throw new Error('no');
      },
    });
    const cases: Array<[unknown, unknown]> = [
      [cyclic, { a: 1, self: '[REDACTED:cycle]' }],
      [list, [1, '[REDACTED:cycle]']],
      [revoked.proxy, '[REDACTED:unsupported]'],
      [getter, '[REDACTED:unsupported]'],
      [10n, '[REDACTED:unsupported]'],
      [Symbol('s'), '[REDACTED:unsupported]'],
      [() => 1, '[REDACTED:unsupported]'],
      [undefined, '[REDACTED:unsupported]'],
      [
        [Number.NaN, Number.POSITIVE_INFINITY, -0],
        ['[REDACTED:unsupported]', '[REDACTED:unsupported]', -0],
      ],
      [
        // biome-ignore lint/suspicious/noSparseArray: a hole is the input under test
        [1, , 3],
        [1, '[REDACTED:unsupported]', 3],
      ],
      [{ a: undefined, b: 1 }, { b: 1 }],
      [new Map([[1, 2]]), '[REDACTED:unsupported]'],
      [new Date(0), '[REDACTED:unsupported]'],
      [new Uint8Array(4), '[REDACTED:unsupported]'],
      [{ [Symbol('k')]: 1 }, '[REDACTED:unsupported]'],
      [Object.assign(Object.create(null), { a: 1 }), { a: 1 }],
      [JSON.parse('{"__proto__":{"a":1},"b":2}'), { '[REDACTED:unsupported]': { a: 1 }, b: 2 }],
      ['lone \uD800 surrogate', 'lone \uFFFD surrogate'],
    ];
    for (const [input, output] of cases) expect(redactor.redact(input).value).toEqual(output);
    const { value, findings } = redactor.redact(deep);
    expect(canonicalize(value, { maxDepth: 70 })).toContain('[REDACTED:too-deep]');
    expect(findings).toEqual([{ kind: 'too-deep', path: '/0'.repeat(64), marker: '[REDACTED:too-deep]' }]);
  });

  it.each([
    ['options not an object', null, TypeError],
    ['a key that is not bytes', { key: 'secret' }, TypeError],
    ['a short key', { key: new Uint8Array(15) }, RangeError],
    ['maxStringLength 0', { maxStringLength: 0 }, RangeError],
    ['maxStringLength 1.5', { maxStringLength: 1.5 }, RangeError],
    ['maxDepth 1001', { maxDepth: 1001 }, RangeError],
    ['maxDepth "64"', { maxDepth: '64' }, RangeError],
    ['an unknown detector', { detectors: ['ssn'] }, RangeError],
    ['a detector with a bad kind', { detectors: [{ kind: 'Bad Kind', find: () => [] }] }, TypeError],
    ['a detector without find', { detectors: [{ kind: 'x' }] }, TypeError],
    ['a key name that is not a string', { keys: [1] }, TypeError],
    ['a pointer with a bad escape', { fields: ['/a/~2'] }, RangeError],
    ['a dotted path with an empty segment', { fields: ['a..b'] }, RangeError],
    ['a field that is not a string', { fields: [1] }, TypeError],
  ])('createRedactor refuses %s', (_, options, error) => {
    expect(() => createRedactor(options as never)).toThrow(error);
  });

  it('refuses per-call fields that are not an array of paths', () => {
    expect(() => redactor.redact({}, { fields: '/a' as never })).toThrow(TypeError);
    expect(() => redactor.redact({}, { fields: ['/a~'] })).toThrow(RangeError);
  });
});

describe('containsRedaction', () => {
  it.each([
    ['[REDACTED:email:hmac-sha256:0123456789abcdef]', true],
    ['to [REDACTED:email] and more', true],
    ['[REDACTED:EMAIL]', false],
    ['[REDACTED:email:hmac-sha256:0123]', false],
    ['ada@example.com', false],
  ])('%j → %s', (text, expected) => {
    expect(containsRedaction(text)).toBe(expected);
  });

  it('is false for what is not a string', () => {
    expect(containsRedaction(42 as never)).toBe(false);
  });
});

describe('built-in detectors', () => {
  const find = (kind: string, text: string) =>
    [...(BUILTIN_DETECTORS.find((d) => d.kind === kind) as Detector).find(text)].map(([a, b]) => text.slice(a, b));

  it('find every span in one pass, also after a match the check cut short', () => {
    // The IBAN pattern's greedy match runs into the next IBAN; the check cuts it back to the first.
    expect(find('iban', 'DE89 3704 0044 0532 0130 00 GB82 WEST 1234 5698 7654 32')).toEqual([
      'DE89 3704 0044 0532 0130 00',
      'GB82 WEST 1234 5698 7654 32',
    ]);
    expect(find('payment-card', '3782 822463 10005 4242 4242 4242 4242, 4008 4111 1111 1111 1111 12/25')).toEqual([
      '3782 822463 10005',
      '4242 4242 4242 4242',
      // 4008 4111 1111 1111 passes the check too: the union of the windows that pass, never a card cut short.
      '4008 4111 1111 1111 1111',
    ]);
  });

  it('reads a run of ten million digits without a regex stack, in linear time', () => {
    expect(find('payment-card', `${'4'.repeat(10_000_000)} 4111 1111 1111 1111`)).toEqual(['4111 1111 1111 1111']);
    expect(find('payment-card', `x ${'4 '.repeat(1_000_000)}4111 1111 1111 1111`)).toEqual(['4111 1111 1111 1111']);
  });
});
