/**
 * The subset test and set operations of tool patterns in credentials and delegations. The grammar itself
 * (names, patterns, matching) is the one of `@agentguard/statement` (`isToolName`, `isToolPattern`,
 * `toolPatternMatches`), shared with policies and the guard.
 */
import { isToolName, isToolPattern, toolPatternMatches } from '@agentguard/statement';

/** @internal The tool-name grammar of `@agentguard/statement`, under the names delegation uses. */
export { isToolName, isToolPattern as isToolGlob, toolPatternMatches as globMatches };

/**
 * Whether every name `child` matches is also matched by `parent`: L(child) ⊆ L(parent).
 *
 * Sound, and conservative (it may answer false for an inclusion that holds only by
 * exhausting the alphabet). The test: read `child` as a word in which each `*` is a
 * symbol that only a `*` of `parent` can absorb, and ask whether `parent` matches
 * that word. Proof of soundness: take such a match; any name in L(child) is child
 * with each `*` replaced by some string w; in the match, that `*` was absorbed by a
 * `*` of parent, which can absorb w instead; literals stay aligned; so parent
 * matches the name. (See docs/concepts/delegation.md.)
 */
export function globSubset(child: string, parent: string): boolean {
  if (!isToolPattern(child) || !isToolPattern(parent)) return false;
  // can[i][j]: parent[i..] matches child[j..] as a word. O(|parent|·|child|) ≤ 128².
  const rows = parent.length + 1;
  const cols = child.length + 1;
  const can = new Uint8Array(rows * cols);
  can[(rows - 1) * cols + (cols - 1)] = 1;
  for (let i = rows - 2; i >= 0; i--) {
    for (let j = cols - 1; j >= 0; j--) {
      const q = parent[i];
      let ok = false;
      if (q === '*') {
        // absorb nothing, or absorb child[j] (a literal or a child `*`) and keep going
        ok = can[(i + 1) * cols + j] === 1 || (j < cols - 1 && can[i * cols + j + 1] === 1);
      } else if (j < cols - 1) {
        // a literal of parent only matches the same literal; never a child `*`
        ok = child[j] === q && can[(i + 1) * cols + j + 1] === 1;
      }
      can[i * cols + j] = ok ? 1 : 0;
    }
  }
  return can[0] === 1;
}

/** Whether every pattern of `child` is a subset of some pattern of `parent` (sound, conservative). */
export function globSetSubset(child: readonly string[], parent: readonly string[]): boolean {
  return child.every((c) => parent.some((p) => globSubset(c, p)));
}

/**
 * A set of globs whose language is contained in both `a` and `b` (an under-approximation
 * of the intersection: it never grants a name that either side refuses).
 */
export function globSetMeet(a: readonly string[], b: readonly string[]): string[] {
  const out = new Set<string>();
  for (const x of a) if (b.some((y) => globSubset(x, y))) out.add(x);
  for (const y of b) if (a.some((x) => globSubset(y, x))) out.add(y);
  return [...out].sort();
}
