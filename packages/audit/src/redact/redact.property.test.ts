import { canonicalize } from '@agentguard/statement';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { luhn } from './checks.js';
import { createRedactor } from './redact.js';

const KEY = new Uint8Array(32).fill(3);
const redactor = createRedactor({ key: KEY });

const chars = (alphabet: string, minLength: number, maxLength: number) =>
  fc.string({ unit: fc.constantFrom(...alphabet), minLength, maxLength });
const DIGITS = '0123456789';
const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const UPPER = LOWER.toUpperCase();
const ALNUM = LOWER + UPPER + DIGITS;

/** Issuer prefixes of the major networks, with the lengths they issue. */
const NETWORKS: readonly (readonly [string, readonly number[]])[] = [
  ['4', [13, 16, 19]], // Visa
  ['51', [16]],
  ['55', [16]],
  ['2221', [16]],
  ['2720', [16]], // Mastercard
  ['2200', [16]], // Mir
  ['34', [15]],
  ['37', [15]], // Amex
  ['36', [14]],
  ['300', [14]], // Diners
  ['3528', [16]],
  ['3589', [19]], // JCB
  ['6011', [16]],
  ['65', [16]], // Discover
  ['62', [16, 19]], // UnionPay
  ['6759', [13, 18]], // Maestro
];

/** Payment card numbers of the major networks with a valid Luhn digit, in the usual spellings. */
const card = fc
  .tuple(
    fc
      .constantFrom(...NETWORKS)
      .chain(([prefix, lengths]) =>
        fc
          .constantFrom(...lengths)
          .chain((n) => chars(DIGITS, n - prefix.length - 1, n - prefix.length - 1).map((rest) => `${prefix}${rest}`)),
      ),
    fc.constantFrom('', ' ', '-'),
  )
  .map(([body, sep]) => {
    const check = [...DIGITS].find((d) => luhn(body + d)) as string;
    const digits = body + check;
    return sep === '' ? digits : (digits.match(/.{1,4}/g) as string[]).join(sep);
  })
  .filter((c) => !/^(\d)\1+$/.test(c.replace(/\D/g, '')));

const IBAN_BBAN: Record<string, number> = { DE: 18, GB: 18, FR: 23, NL: 14, ES: 20, IT: 23 };
/** IBANs with correct ISO 7064 mod-97 check digits. */
const iban = fc.tuple(fc.constantFrom(...Object.keys(IBAN_BBAN)), fc.nat()).chain(([country]) =>
  chars(UPPER + DIGITS, IBAN_BBAN[country] as number, IBAN_BBAN[country] as number).map((bban) => {
    const numeric = `${bban}${country}00`.replace(/[A-Z]/g, (c) => String(c.charCodeAt(0) - 55));
    let rest = 0;
    for (const d of numeric) rest = (rest * 10 + Number(d)) % 97;
    return `${country}${String(98 - rest).padStart(2, '0')}${bban}`;
  }),
);

const ssn = fc
  .tuple(fc.integer({ min: 1, max: 899 }), fc.integer({ min: 1, max: 99 }), fc.integer({ min: 1, max: 9999 }))
  .filter(([area]) => area !== 666)
  .map(([a, g, s]) => `${String(a).padStart(3, '0')}-${String(g).padStart(2, '0')}-${String(s).padStart(4, '0')}`);

const email = fc
  .tuple(chars(LOWER + DIGITS, 1, 12), chars(LOWER, 1, 10), fc.constantFrom('com', 'org', 'io', 'dev', 'co.uk'))
  .map(([local, domain, tld]) => `${local}@${domain}.${tld}`);

const b64url = (json: unknown) => Buffer.from(JSON.stringify(json)).toString('base64url');
const jwt = fc
  .tuple(fc.dictionary(chars(LOWER, 1, 6), fc.oneof(fc.integer(), chars(ALNUM, 0, 10))), chars(`${ALNUM}-_`, 43, 43))
  .map(([claims, sig]) => `${b64url({ alg: 'EdDSA', typ: 'JWT' })}.${b64url({ sub: 'a', ...claims })}.${sig}`);

/** Secrets of every kind, paired with the substring that must never be written. */
const secret: fc.Arbitrary<string> = fc.oneof(
  card,
  iban,
  ssn,
  email,
  jwt,
  chars(UPPER + DIGITS, 16, 16).map((s) => `AKIA${s}`),
  chars(ALNUM, 34, 34).map((s) => `ghp_a1${s}`),
  chars(ALNUM, 22, 40).map((s) => ['sk', 'live', `Z9${s}`].join('_')),
  chars(`${ALNUM}-_`, 30, 90).map((s) => `sk-proj-Aa1${s}`),
  chars(`${ALNUM}-_`, 35, 35).map((s) => `AIza${s}`),
  chars(ALNUM, 8, 24).map((s) => `postgres://svc:${s}@db.example.com/app`),
  fc.constant('+44 20 7946 0958'),
);

const word = fc.constantFrom('the', 'call', 'to', 'ok', 'and', 'data', 'is', 'value', 'done');
/** A secret inside ordinary text: words, a space on each side. */
const embedded = fc
  .tuple(fc.array(word, { maxLength: 4 }), secret, fc.array(word, { maxLength: 4 }))
  .map(([before, s, after]) => ({ text: [...before, s, ...after].join(' '), secret: s }));

/** Secrets at random places in random JSON. */
const document = fc
  .tuple(fc.jsonValue({ maxDepth: 3 }), fc.array(embedded, { minLength: 1, maxLength: 4 }))
  .map(([json, items]) => ({
    value: {
      json,
      args: items.map((i) => i.text),
      result: { [items[0]?.text ?? 'k']: items.map((i) => ({ v: i.text })) },
    },
    secrets: items.map((i) => (i.secret.startsWith('postgres://') ? i.secret.slice(15, -19) : i.secret)),
  }));

/** Machine identifiers that hold runs of digits: UUIDs, hex digests, and such runs between words. */
const identifier = fc.oneof(
  fc.uuid(),
  chars('0123456789abcdef', 32, 64),
  chars('0123456789ABCDEF', 40, 40),
  fc.tuple(chars(LOWER, 1, 3), chars(DIGITS, 13, 19), chars(LOWER, 1, 3)).map((parts) => parts.join('')),
);

describe('redaction properties', () => {
  it('never writes a generated secret', () => {
    fc.assert(
      fc.property(document, ({ value, secrets }) => {
        const out = JSON.stringify(redactor.redact(value).value);
        for (const s of secrets) expect(out).not.toContain(s);
      }),
      { numRuns: 300 },
    );
  });

  it('never takes a UUID, a hex digest or digits inside a word for a payment card', () => {
    fc.assert(
      fc.property(identifier, (id) => {
        expect(redactor.redact(id).findings.filter((f) => f.kind === 'payment-card')).toEqual([]);
      }),
      { numRuns: 3000 },
    );
  });

  it('is idempotent: redacting the output again changes nothing and finds nothing', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          document.map((d) => d.value),
          fc.jsonValue(),
          fc.anything(),
        ),
        (value) => {
          const once = redactor.redact(value);
          const twice = redactor.redact(once.value);
          expect(twice.value).toEqual(once.value);
          expect(twice.findings).toEqual([]);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('gives equal markers for equal values under one key, and other markers under another key', () => {
    const other = createRedactor({ key: new Uint8Array(32).fill(4) });
    fc.assert(
      fc.property(secret, (s) => {
        const a = redactor.redact(s).findings.map((f) => f.marker);
        const again = createRedactor({ key: KEY })
          .redact(s)
          .findings.map((f) => f.marker);
        const b = other.redact(s).findings.map((f) => f.marker);
        expect(a.length).toBeGreaterThan(0);
        expect(again).toEqual(a);
        expect(b).toHaveLength(a.length);
        for (const [i, m] of b.entries()) expect(m).not.toBe(a[i]);
      }),
      { numRuns: 200 },
    );
  });

  it('never throws and always returns a value that canonical JSON can write', () => {
    const odd = fc.anything({
      withBigInt: true,
      withDate: true,
      withMap: true,
      withSet: true,
      withTypedArray: true,
      withSparseArray: true,
      withNullPrototype: true,
      withBoxedValues: true,
      withObjectString: true,
      withUnicodeString: true,
    });
    fc.assert(
      fc.property(odd, (value) => {
        const { value: out } = redactor.redact(value);
        expect(() => canonicalize(out)).not.toThrow();
      }),
      { numRuns: 500 },
    );
  });
});
