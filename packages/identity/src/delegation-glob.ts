/**
 * The tool-name glob language of credentials and delegations, with a matcher and
 * a sound subset test.
 *
 * Language: a pattern is 1 to 128 characters from `[A-Za-z0-9_.:/@-]` plus `*`;
 * `*` matches any sequence (possibly empty) of name characters; `**` is refused
 * (it means the same as `*`, and one meaning should have one spelling). A tool
 * name is a pattern without `*`. There is no escaping, no `?`, no character class.
 */

const PATTERN = /^[A-Za-z0-9_.:/@*-]{1,128}$/;
const NAME = /^[A-Za-z0-9_.:/@-]{1,128}$/;

/** Whether `pattern` is a well-formed tool glob. */
export function isToolGlob(pattern: unknown): pattern is string {
  return typeof pattern === 'string' && PATTERN.test(pattern) && !pattern.includes('**');
}

/** Whether `name` is a well-formed tool name. */
export function isToolName(name: unknown): name is string {
  return typeof name === 'string' && NAME.test(name);
}

/**
 * Whether `pattern` matches the tool `name`. Malformed input never matches.
 * Linear-time greedy matching with one backtrack point (no regular expression,
 * so no ReDoS).
 */
export function globMatches(pattern: string, name: string): boolean {
  if (!isToolGlob(pattern) || !isToolName(name)) return false;
  let p = 0;
  let n = 0;
  let star = -1;
  let mark = 0;
  while (n < name.length) {
    if (p < pattern.length && pattern[p] === name[n]) {
      p++;
      n++;
    } else if (p < pattern.length && pattern[p] === '*') {
      star = p++;
      mark = n;
    } else if (star >= 0) {
      p = star + 1;
      n = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === '*') p++;
  return p === pattern.length;
}

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
  if (!isToolGlob(child) || !isToolGlob(parent)) return false;
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
