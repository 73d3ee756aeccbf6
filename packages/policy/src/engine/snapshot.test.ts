import { describe, expect, it } from 'vitest';
import { SnapshotError, snapshotJson } from './snapshot.js';

function problemAt(value: unknown, root = 'args'): string {
  try {
    snapshotJson(value, root);
  } catch (error) {
    if (error instanceof SnapshotError) return error.message;
    throw error;
  }
  throw new Error('expected a SnapshotError');
}

describe('snapshotJson', () => {
  it('copies plain JSON into fresh objects equal to the input', () => {
    const value = { a: [1, 'x', { b: null, c: true }], 'd-e': { f: [] } };
    const copy = snapshotJson(value) as typeof value;
    expect(copy).toEqual(value);
    expect(copy).not.toBe(value);
    expect(copy.a).not.toBe(value.a);
    expect(copy.a[2]).not.toBe(value.a[2]);
  });

  it('names the exact path of the first problem, however deep', () => {
    expect(
      problemAt({
        a: [
          0,
          {
            b: {
              get c() {
                return 1;
              },
            },
          },
        ],
      }),
    ).toBe('args.a[1].b.c: an accessor property (getter) is not data');
    expect(problemAt({ 'x-y': [1, undefined] })).toBe('args["x-y"][1]: a undefined is not JSON');
    expect(problemAt({ a: { b: Number.NaN } })).toBe('args.a.b: NaN is not a JSON number');
    expect(problemAt({ a: [new Date(0)] })).toBe('args.a[0]: not a plain object');
    // biome-ignore lint/suspicious/noSparseArray: the hole is the point
    expect(problemAt({ a: [1, , 3] })).toBe('args.a[1]: a hole in the array');
    expect(problemAt(1n, '')).toBe('$: a bigint is not JSON');
  });

  it('bounds depth (and so cycles) and names where it stopped', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(problemAt(cyclic, '')).toMatch(/^self(\.self)*: nested deeper than 64 \(or a cycle\)$/);
    expect(() => snapshotJson({ a: { b: 1 } }, '', { maxDepth: 1 })).toThrow(/^a: nested deeper than 1 /);
    expect(snapshotJson({ a: { b: 1 } }, '', { maxDepth: 2 })).toEqual({ a: { b: 1 } });
  });

  it('drops undefined members when asked, and keeps non-finite numbers when asked', () => {
    expect(snapshotJson({ a: undefined, b: 1 }, '', { undefinedProperties: 'drop' })).toEqual({ b: 1 });
    expect(snapshotJson({ n: Number.POSITIVE_INFINITY }, '', { allowNonFinite: true })).toEqual({
      n: Number.POSITIVE_INFINITY,
    });
  });
});
