import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileGlob, literalPrefix, MAX_GLOB_LENGTH } from './glob.js';

// Reference: the textbook dynamic-programming wildcard matcher (O(n·m), obviously correct).
function reference(pattern: string, text: string): boolean {
  let row = new Array<boolean>(text.length + 1).fill(false);
  row[0] = true;
  for (let i = 1; i <= pattern.length; i++) {
    const p = pattern[i - 1];
    const next = new Array<boolean>(text.length + 1).fill(false);
    next[0] = p === '*' && (row[0] as boolean);
    for (let j = 1; j <= text.length; j++) {
      if (p === '*') next[j] = (row[j] as boolean) || (next[j - 1] as boolean);
      else next[j] = (row[j - 1] as boolean) && (p === '?' || p === text[j - 1]);
    }
    row = next;
  }
  return row[text.length] as boolean;
}

describe('compileGlob', () => {
  it.each([
    ['read_file', 'read_file', true],
    ['read_file', 'read_files', false],
    ['read_*', 'read_file', true],
    ['read_*', 'read_', true],
    ['read_*', 'rea', false],
    ['*_file', 'read_file', true],
    ['*', '', true],
    ['?', '', false],
    ['?', 'a', true],
    ['a?c', 'abc', true],
    ['a?c', 'ac', false],
    ['a*b*c', 'abc', true],
    ['a*b*c', 'aXbYbZc', true],
    ['a*b*c', 'acb', false],
    ['*ab*ab*', 'abab', true],
    ['*ab*ab*', 'aba', false],
    ['a*a', 'a', false],
    ['a*?b', 'ab', false],
    ['a*?b', 'axb', true],
    ['*.example.com', 'api.example.com', true],
    ['*.example.com', 'example.com', false],
    ['*.example.com', 'evil.com/.example.com', true],
  ])('%s ~ %s is %s', (pattern, text, expected) => {
    expect(compileGlob(pattern)(text)).toBe(expected);
    expect(reference(pattern, text)).toBe(expected);
  });

  it('agrees with a reference matcher on random inputs', () => {
    const alphabet = fc.constantFrom('a', 'b', '*', '?', '.');
    const textAlphabet = fc.constantFrom('a', 'b', '.', '*', '?');
    fc.assert(
      fc.property(
        fc.string({ unit: alphabet, minLength: 1, maxLength: 12 }),
        fc.string({ unit: textAlphabet, maxLength: 16 }),
        (pattern, text) => compileGlob(pattern)(text) === reference(pattern, text),
      ),
      { numRuns: 3000 },
    );
  });

  it('stays fast on patterns that make backtracking matchers explode', () => {
    // A backtracking matcher takes exponential steps here; ours is linear in segments.
    const pattern = `${'*a'.repeat(60)}*b`;
    const text = 'a'.repeat(5000);
    expect(compileGlob(pattern)(text)).toBe(false);
  });

  it.each([
    ['', RangeError],
    ['x'.repeat(MAX_GLOB_LENGTH + 1), RangeError],
    [42, TypeError],
    [null, TypeError],
  ])('refuses pattern %#', (pattern, error) => {
    expect(() => compileGlob(pattern as string)).toThrow(error);
  });

  it('finds the literal prefix', () => {
    expect(literalPrefix('read_*')).toBe('read_');
    expect(literalPrefix('a?b*')).toBe('a');
    expect(literalPrefix('*')).toBe('');
    expect(literalPrefix('exact')).toBe('exact');
  });
});
