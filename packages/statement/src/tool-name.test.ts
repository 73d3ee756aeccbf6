import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isToolName, isToolPattern, toolPatternMatches } from './tool-name.js';

const nameChar = fc.constantFrom(...'abcXYZ019_.:-');
const name = fc.string({ unit: nameChar, minLength: 1, maxLength: 20 });

describe('the tool-name grammar', () => {
  it.each([
    ['fs.read', true, true],
    ['mcp:github.create_issue', true, true],
    ['a'.repeat(128), true, true],
    ['a'.repeat(129), false, false],
    ['fs.*', false, true],
    ['*', false, true],
    ['*.read*', false, true],
    ['', false, false],
    ['fs.**', false, false],
    ['pay?', false, false], // `?` is not part of the grammar, in policies or credentials
    ['fs read', false, false],
    ['fs/read', false, false],
    ['user@host', false, false],
    ['fs.read\n', false, false],
    ['fs.réad', false, false],
    ['__proto__', false, false], // a member name strict readers refuse: evidence keyed by it could not be read
    ['__proto__x', true, true],
    ['constructor', true, true],
    [42, false, false],
    [null, false, false],
    [['fs.read'], false, false],
  ] as const)('%j: name %s, pattern %s', (input, asName, asPattern) => {
    expect(isToolName(input)).toBe(asName);
    expect(isToolPattern(input)).toBe(asPattern);
  });

  it('a pattern without * matches exactly itself; * matches every name (property)', () => {
    fc.assert(
      fc.property(name, name, (a, b) => {
        expect(toolPatternMatches(a, b)).toBe(a === b);
        expect(toolPatternMatches('*', a)).toBe(true);
        expect(toolPatternMatches(`${a}*`, `${a}${b}`)).toBe(true);
        expect(toolPatternMatches(`*${b}`, `${a}${b}`)).toBe(true);
      }),
    );
  });

  it('malformed patterns and names never match', () => {
    expect(toolPatternMatches('pay?', 'pays')).toBe(false);
    expect(toolPatternMatches('*', 'fs read')).toBe(false);
    expect(toolPatternMatches('fs.**', 'fs.read')).toBe(false);
  });
});
