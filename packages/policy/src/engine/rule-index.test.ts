import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileGlob } from '../match/glob.js';
import { RuleIndex } from './rule-index.js';

type Entry = { index: number; patterns: string[] };

function indexOf(entries: Entry[]): RuleIndex<Entry> {
  const index = new RuleIndex<Entry>();
  index.addAll(entries.map((e) => [e, e.patterns] as const));
  return index;
}

describe('RuleIndex', () => {
  it('never loses a rule whose pattern matches (property)', () => {
    const pattern = fc.stringMatching(/^[ab*?.]{1,6}$/);
    const entries = fc
      .array(fc.array(pattern, { minLength: 1, maxLength: 3 }), { maxLength: 12 })
      .map((lists) => lists.map((patterns, index) => ({ index, patterns })));
    fc.assert(
      fc.property(entries, fc.stringMatching(/^[ab.]{0,8}$/), (list, name) => {
        const found = new Set(indexOf(list).candidates(name));
        return list.every((e) => !e.patterns.some((p) => compileGlob(p)(name)) || found.has(e));
      }),
      { numRuns: 2000 },
    );
  });

  it('returns candidates in policy order, each once, however many buckets hold them (property)', () => {
    const pattern = fc.stringMatching(/^[ab*?.]{1,6}$/);
    const entries = fc
      .array(fc.array(pattern, { minLength: 1, maxLength: 4 }), { maxLength: 12 })
      .map((lists) => lists.map((patterns, index) => ({ index, patterns })));
    fc.assert(
      fc.property(entries, fc.stringMatching(/^[ab.]{0,8}$/), (list, name) => {
        const found = indexOf(list)
          .candidates(name)
          .map((e) => e.index);
        return found.every((index, i) => i === 0 || (found[i - 1] as number) < index);
      }),
      { numRuns: 2000 },
    );
  });

  it('files by exact name, literal prefix, literal suffix, or nowhere in particular', () => {
    const e = (index: number, ...patterns: string[]) => ({ index, patterns });
    const rules = [e(0, 'read_file'), e(1, 'read_*'), e(2, '*_file'), e(3, '*'), e(4, 'write_*'), e(5, '*_dir')];
    const index = indexOf(rules);
    expect(index.candidates('read_file').map((r) => r.index)).toEqual([0, 1, 2, 3]);
    expect(index.candidates('write_dir').map((r) => r.index)).toEqual([3, 4, 5]);
    expect(indexOf([e(0, 'a'), e(1, 'b*')]).candidates('c')).toEqual([]);
  });
});
