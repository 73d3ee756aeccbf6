/**
 * Shared bounds for the adversarial fuzzers, so the whole suite stays inside `pnpm test`'s time.
 * `AGENTGUARD_FUZZ_RUNS` raises the count for a longer local search (e.g. 10000); CI uses the default.
 */
export const FUZZ_RUNS: number = (() => {
  const raw = process.env.AGENTGUARD_FUZZ_RUNS;
  const n = raw === undefined ? Number.NaN : Number(raw);
  return Number.isSafeInteger(n) && n > 0 ? n : 200;
})();

/** fast-check parameters every fuzzer of the suite uses: bounded runs, reproducible when a seed is given. */
export const fuzzParams = (runs: number = FUZZ_RUNS): { numRuns: number; seed?: number } => {
  const seed = Number(process.env.AGENTGUARD_FUZZ_SEED);
  return Number.isSafeInteger(seed) ? { numRuns: runs, seed } : { numRuns: runs };
};
