/**
 * Per-agent, per-tool call times over a sliding window, for `rate.window`. Memory is bounded: only
 * as many times are kept per tool as the check needs (its limit plus one), and only for agents and
 * tools the profile knows (the caller checks that first).
 */
export interface RateTracker {
  /**
   * Records a call at `at` and returns how many calls of `tool` by `agent` fall in the window
   * `(at - windowMs, at]`, counting at most `limit + 1`.
   */
  hit(agent: string, tool: string, at: number, windowMs: number, limit: number): number;
}

/** Creates an empty {@link RateTracker}. */
export function createRateTracker(): RateTracker {
  const byKey = new Map<string, number[]>();
  return {
    hit(agent, tool, at, windowMs, limit) {
      // A NUL never occurs in an agent id the profile accepted as a key of its own, so keys cannot collide.
      const key = `${agent}\u0000${tool}`;
      const kept = (byKey.get(key) ?? []).filter((t) => t > at - windowMs && t <= at);
      kept.push(at);
      const cap = Math.max(1, Math.floor(limit) + 1);
      const bounded = kept.length > cap ? kept.slice(kept.length - cap) : kept;
      byKey.set(key, bounded);
      return bounded.length;
    },
  };
}
