import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_RUNS, seqRanges } from './seqs.js';

/** The seq numbers a list of runs names (without a `+N more` tail). */
function expand(runs: readonly string[]): number[] {
  return runs.flatMap((run) => {
    const [a, b] = run.split('-').map(Number) as [number, number | undefined];
    return Array.from({ length: (b ?? a) - a + 1 }, (_, i) => a + i);
  });
}

describe('seqRanges', () => {
  it('compresses runs, sorted and without repeats', () => {
    expect(seqRanges([9, 3, 4, 5, 3, 7, 0])).toEqual(['0', '3-5', '7', '9']);
    expect(seqRanges([])).toEqual([]);
  });

  it('names exactly the given numbers (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 500 }), { maxLength: 200 }), (seqs) => {
        const runs = seqRanges(seqs);
        const more = runs.at(-1)?.startsWith('+') === true;
        const named = expand(more ? runs.slice(0, -1) : runs);
        const unique = [...new Set(seqs)].sort((a, b) => a - b);
        if (!more) expect(named).toEqual(unique);
        else {
          expect(named).toEqual(unique.slice(0, named.length));
          expect(runs.at(-1)).toBe(`+${unique.length - named.length} more`);
        }
        expect(runs.length).toBeLessThanOrEqual(MAX_RUNS + 1);
      }),
    );
  });

  it('counts what it leaves out past the run limit', () => {
    const every = Array.from({ length: 200 }, (_, i) => i * 2);
    const runs = seqRanges(every);
    expect(runs).toHaveLength(MAX_RUNS + 1);
    expect(runs.at(-1)).toBe(`+${200 - MAX_RUNS} more`);
  });
});
