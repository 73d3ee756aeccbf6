/**
 * What every `packages/<pkg>/bench/*.bench.ts` shares with the runner (`.config/bench.ts`): the shape of
 * a result, and a timing loop.
 */

/** One measured case; `ratio` compares it with `baseline`, measured in the same run. */
export interface BenchResult {
  name: string;
  opsPerSec: number;
  baseline?: string;
  ratio?: number;
  note?: string;
}

/**
 * Calls `fn` (awaiting it) `warmup` times, then as often as it can for `ms` milliseconds.
 *
 * @returns calls per second.
 */
export async function measure(fn: () => unknown, ms: number, warmup = 100): Promise<number> {
  for (let i = 0; i < warmup; i++) await fn();
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < ms) {
    await fn();
    n++;
  }
  return n / ((performance.now() - start) / 1000);
}

/**
 * The `q`-quantile (0..1, e.g. 0.5 for p50, 0.99 for p99) of `samples` by nearest rank: the sample at
 * `floor(q × n)` once sorted (clamped to the last). Sorts a copy; NaN when there are no samples.
 */
export function percentile(samples: readonly number[], q: number): number {
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? Number.NaN;
}
