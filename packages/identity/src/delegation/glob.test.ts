import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { globMatches, globSetMeet, globSubset, isToolGlob } from './glob.js';
import { constraintsMeet, constraintsWidening, constraintAllows, isNormalPath, pathCovers } from './constraints.js';

// Small alphabets make inclusions and near-misses frequent.
const glob = fc
  .array(fc.constantFrom('a', 'b', '.', '*'), { minLength: 1, maxLength: 6 })
  .map((cs) => cs.join('').replace(/\*+/g, '*'));
const name = fc.array(fc.constantFrom('a', 'b', '.'), { minLength: 1, maxLength: 8 }).map((cs) => cs.join(''));

/** Every name over {a, b, .} of length 1..5: exhaustive ground truth for small patterns. */
const ALL: string[] = [];
for (let n = 1; n <= 5; n++) {
  const walk = (prefix: string): void => {
    if (prefix.length === n) ALL.push(prefix);
    else for (const c of 'ab.') walk(prefix + c);
  };
  walk('');
}

describe('tool globs', () => {
  it('matches as documented', () => {
    expect(globMatches('fs.*', 'fs.read')).toBe(true);
    expect(globMatches('fs.*', 'fs.')).toBe(true);
    expect(globMatches('fs.*', 'fsx')).toBe(false);
    expect(globMatches('*.read', 'db.read')).toBe(true);
    expect(globMatches('a*b*c', 'axxbyyc')).toBe(true);
    expect(globMatches('a*b*c', 'axxbyy')).toBe(false);
    expect(globMatches('exact', 'exact')).toBe(true);
    expect(globMatches('fs.**', 'fs.read')).toBe(false); // malformed never matches
    expect(isToolGlob('a b')).toBe(false);
    expect(isToolGlob('')).toBe(false);
    expect(isToolGlob('x'.repeat(129))).toBe(false);
  });

  it('subset examples, including conservative refusals', () => {
    expect(globSubset('fs.read', 'fs.*')).toBe(true);
    expect(globSubset('fs.*', 'fs.*')).toBe(true);
    expect(globSubset('fs.r*', 'fs.*')).toBe(true);
    expect(globSubset('*', 'fs.*')).toBe(false);
    expect(globSubset('fs.*', 'fs.read')).toBe(false);
    expect(globSubset('a*b', '*')).toBe(true);
    expect(globSubset('a*', '*a*')).toBe(true);
    expect(globSubset('*a', 'a*')).toBe(false);
  });

  it('property: globSubset is sound (checked against every short name)', () => {
    fc.assert(
      fc.property(glob, glob, (p, q) => {
        if (!globSubset(p, q)) return;
        for (const n of ALL) if (globMatches(p, n)) expect(globMatches(q, n)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('property: subset is reflexive and transitive; meet grants nothing either side refuses', () => {
    fc.assert(
      fc.property(
        glob,
        glob,
        glob,
        fc.array(glob, { maxLength: 3 }),
        fc.array(glob, { maxLength: 3 }),
        name,
        (p, q, r, as, bs, n) => {
          expect(globSubset(p, p)).toBe(true);
          if (globSubset(p, q) && globSubset(q, r)) expect(globSubset(p, r)).toBe(true);
          const meet = globSetMeet(as, bs);
          if (meet.some((m) => globMatches(m, n))) {
            expect(as.some((x) => globMatches(x, n)) && bs.some((y) => globMatches(y, n))).toBe(true);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});

const path = fc
  .array(fc.constantFrom('data', 'etc', 'x', 'y'), { minLength: 0, maxLength: 3 })
  .map((s) => `/${s.join('/')}`);
const constraint = fc.record(
  {
    max: fc.integer({ min: 0, max: 10 }),
    min: fc.integer({ min: 0, max: 10 }),
    oneOf: fc.uniqueArray(fc.integer({ min: 0, max: 10 }), { maxLength: 4 }),
    prefix: fc.uniqueArray(path, { maxLength: 3 }),
  },
  { requiredKeys: [] },
);

describe('argument constraints', () => {
  it('paths: segment-boundary prefixes, no dot segments', () => {
    expect(pathCovers('/data', '/data/x')).toBe(true);
    expect(pathCovers('/data', '/database')).toBe(false);
    expect(pathCovers('/data', '/data/../etc')).toBe(false);
    expect(pathCovers('/', '/etc')).toBe(true);
    expect(isNormalPath('/data/')).toBe(false);
    expect(isNormalPath('/a//b')).toBe(false);
    expect(isNormalPath('/a/./b')).toBe(false);
  });

  it('property: meet is the exact intersection, and widening-free means contained', () => {
    const value = fc.oneof(fc.integer({ min: -1, max: 11 }), path, fc.constant('/data/../etc'));
    fc.assert(
      fc.property(constraint, constraint, value, (x, y, v) => {
        const both = constraintAllows(x, v) && constraintAllows(y, v);
        const m = constraintsMeet({ v: x }, { v: y }).v;
        expect(m === undefined ? false : constraintAllows(m, v)).toBe(both);
        if (constraintsWidening({ v: x }, { v: y }) === undefined && constraintAllows(x, v)) {
          expect(constraintAllows(y, v)).toBe(true);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
