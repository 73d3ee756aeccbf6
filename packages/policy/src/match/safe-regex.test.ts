import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileSafeRegex, MAX_REGEX_LENGTH } from './safe-regex.js';

// Random patterns from a grammar both engines accept, so native RegExp (with the `u` flag) is the reference.
const atom: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('a', 'b', '.', '\\d', '\\w', '\\s', '[ab]', '[^a]', '[a-c]', '\\.', 'x'),
);
const pattern: fc.Arbitrary<string> = fc.letrec<{ re: string; seq: string; piece: string }>((tie) => ({
  re: fc.oneof(
    { depthSize: 'small' },
    tie('seq'),
    fc.tuple(tie('seq'), tie('seq')).map(([a, b]) => `${a}|${b}`),
  ),
  seq: fc.array(tie('piece'), { minLength: 1, maxLength: 4 }).map((parts) => parts.join('')),
  piece: fc
    .tuple(
      fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        atom,
        tie('re').map((r) => `(?:${r})`),
      ),
      fc.constantFrom('', '', '*', '+', '?', '{2}', '{1,3}', '{0,}', '*?'),
    )
    .map(([a, q]) => a + q),
})).re;
const anchored = fc.tuple(fc.constantFrom('', '^'), pattern, fc.constantFrom('', '$')).map(([a, p, b]) => a + p + b);
// Short inputs: the reference is a backtracking engine, exponential on nested quantifiers.
const text = fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'x', '1', ' ', '.', '\n'), maxLength: 8 });

describe('compileSafeRegex', () => {
  it('agrees with native RegExp on random patterns and inputs', () => {
    fc.assert(
      fc.property(anchored, text, fc.boolean(), (p, t, ignoreCase) => {
        // Nesting is what makes the reference slow; three levels of groups is plenty to compare semantics.
        fc.pre(p.length <= 80 && (p.match(/\(\?:/g) ?? []).length <= 3);
        const native = new RegExp(p, ignoreCase ? 'iu' : 'u').test(t);
        return compileSafeRegex(p, ignoreCase ? 'i' : '').test(t) === native;
      }),
      { numRuns: 2000, maxSkipsPerRun: 1000 },
    );
  });

  it.each([
    ['^[a-z0-9-]+\\.pdf$', 'report-1.pdf', true],
    ['^[a-z0-9-]+\\.pdf$', 'report-1.pdf.exe', false],
    ['^\\/tmp\\/', '/tmp/x', true],
    ['\\u{1F600}', 'smile 😀', true],
    ['^.$', '😀', true],
    ['\\x41', 'A', true],
    ['^a{2,3}$', 'aaaa', false],
    ['^(?:ab|cd)+$', 'abcdab', true],
    ['(a|b', 'x', 'error'],
    ['\\1', 'x', 'error'],
    ['(a)\\1', 'aa', 'error'],
    ['(?=a)', 'a', 'error'],
    ['(?<name>a)', 'a', 'error'],
    ['a**', 'a', 'error'],
    ['*a', 'a', 'error'],
    ['\\b', 'a', 'error'],
    ['[b-a]', 'a', 'error'],
    ['a{3,1}', 'a', 'error'],
    ['(?:a{100}){100}', 'a', 'error'],
    ['x'.repeat(MAX_REGEX_LENGTH + 1), 'x', 'error'],
  ])('%s on %j: %s', (p, t, expected) => {
    if (expected === 'error') expect(() => compileSafeRegex(p)).toThrow(SyntaxError);
    else expect(compileSafeRegex(p).test(t)).toBe(expected);
  });

  it('refuses unknown flags and non-strings', () => {
    expect(() => compileSafeRegex('a', 'g')).toThrow(SyntaxError);
    expect(() => compileSafeRegex(1 as unknown as string)).toThrow(TypeError);
  });

  it('runs catastrophic-backtracking patterns in linear time', () => {
    // Each of these takes exponential time in a backtracking engine on this input.
    for (const p of ['^(a+)+$', '^(a|a)*$', '^(a|aa)+$', '(x+x+)+y', '^(\\w+\\s?)*$']) {
      expect(compileSafeRegex(p).test(`${'a'.repeat(20_000)}!`)).toBe(false);
    }
  });
});
