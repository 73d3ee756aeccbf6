import { describe, expect, it } from 'vitest';
import { isUnder, normalizePath } from './path.js';
import { MISSING, parsePointer, resolvePointer } from './pointer.js';

describe('JSON pointer (RFC 6901)', () => {
  // RFC 6901 §5 examples.
  const doc = {
    foo: ['bar', 'baz'],
    '': 0,
    'a/b': 1,
    'c%d': 2,
    'e^f': 3,
    'g|h': 4,
    'i\\j': 5,
    'k"l': 6,
    ' ': 7,
    'm~n': 8,
  };
  it.each<[string, unknown]>([
    ['', doc],
    ['/foo', ['bar', 'baz']],
    ['/foo/0', 'bar'],
    ['/', 0],
    ['/a~1b', 1],
    ['/c%d', 2],
    ['/e^f', 3],
    ['/g|h', 4],
    ['/i\\j', 5],
    ['/k"l', 6],
    ['/ ', 7],
    ['/m~0n', 8],
  ])('resolves %j', (pointer, expected) => {
    expect(resolvePointer(doc, parsePointer(pointer))).toEqual(expected);
  });

  it.each(['/foo/2', '/foo/01', '/foo/-', '/nope', '/foo/0/x', '/__proto__', '/constructor', '/toString'])(
    'misses %j',
    (pointer) => {
      expect(resolvePointer(doc, parsePointer(pointer))).toBe(MISSING);
    },
  );

  it.each(['foo', '/a~2', '/~'])('rejects malformed %j', (pointer) => {
    expect(() => parsePointer(pointer)).toThrow(RangeError);
  });
});

describe('normalizePath', () => {
  it.each<[string, string | undefined]>([
    ['/tmp/a', '/tmp/a'],
    // `..` and `\` cannot be placed from text alone (symbolic links; Windows reads `\` as a separator).
    ['/tmp/../etc/passwd', undefined],
    ['/tmp/./a//b/', '/tmp/a/b'],
    ['//tmp///a', '/tmp/a'],
    ['/../../etc', undefined],
    ['/tmp/..\\..\\etc', undefined],
    ['/tmp/a\\b', undefined],
    ['/tmp/%2E%2e/etc', undefined],
    ['/', '/'],
    ['tmp/a', undefined],
    ['../etc', undefined],
    ['', undefined],
    ['/tmp/a\0b', undefined],
  ])('%j -> %j', (input, expected) => {
    expect(normalizePath(input)).toBe(expected);
  });

  it('checks prefixes on segment boundaries', () => {
    expect(isUnder('/tmp/a', '/tmp')).toBe(true);
    expect(isUnder('/tmp', '/tmp')).toBe(true);
    expect(isUnder('/tmpfoo', '/tmp')).toBe(false);
    expect(isUnder('/etc', '/')).toBe(true);
  });
});
