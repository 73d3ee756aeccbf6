import { isGlob, literalPrefix } from './glob.js';

/**
 * Finds the rules that may apply to a tool name without scanning every rule.
 *
 * Exact tool names live in a Map; globs are grouped by their literal prefix
 * (the text before the first wildcard), and a lookup probes one bucket per
 * distinct prefix length. A decision therefore costs a few Map lookups plus
 * the rules that can actually match, however many rules the policy holds.
 * Candidates still go through the rule's own tool matcher.
 */
export class RuleIndex<T extends { readonly index: number }> {
  readonly #exact = new Map<string, T[]>();
  readonly #byPrefix = new Map<string, T[]>();
  #prefixLengths: number[] = [];

  /** Files each rule under each of its tool patterns. */
  addAll(entries: Iterable<readonly [T, readonly string[]]>): void {
    for (const [rule, patterns] of entries) {
      for (const pattern of patterns) {
        const glob = isGlob(pattern);
        const map = glob ? this.#byPrefix : this.#exact;
        const key = glob ? literalPrefix(pattern) : pattern;
        const bucket = map.get(key);
        if (bucket === undefined) map.set(key, [rule]);
        else if (bucket[bucket.length - 1] !== rule) bucket.push(rule);
      }
    }
    this.#prefixLengths = [...new Set([...this.#byPrefix.keys()].map((k) => k.length))].sort((a, b) => a - b);
  }

  /** The rules filed under a pattern that may match `name`, in policy order, without duplicates. */
  candidates(name: string): T[] {
    const found: T[][] = [];
    const exact = this.#exact.get(name);
    if (exact !== undefined) found.push(exact);
    for (const length of this.#prefixLengths) {
      if (length > name.length) break;
      const bucket = this.#byPrefix.get(name.slice(0, length));
      if (bucket !== undefined) found.push(bucket);
    }
    if (found.length === 0) return [];
    if (found.length === 1) return found[0] as T[];
    const merged = found.flat().sort((a, b) => a.index - b.index);
    return merged.filter((rule, i) => i === 0 || merged[i - 1] !== rule);
  }
}
