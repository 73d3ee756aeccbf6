import { isGlob, literalPrefix } from '../match/glob.js';

/** The characters after the last wildcard: every match ends with them. */
function literalSuffix(pattern: string): string {
  let start = pattern.length;
  while (start > 0) {
    const c = pattern.charCodeAt(start - 1);
    if (c === 42 /* * */ || c === 63 /* ? */) break;
    start--;
  }
  return pattern.slice(start);
}

function lengths(map: Map<string, unknown>): number[] {
  return [...new Set([...map.keys()].map((k) => k.length))].sort((a, b) => a - b);
}

/**
 * Finds the rules that may apply to a tool name without scanning every rule.
 *
 * Exact tool names live in a Map. Globs are grouped by their literal prefix
 * (the text before the first wildcard) or, when they start with a wildcard,
 * by their literal suffix; a lookup probes one bucket per distinct prefix or
 * suffix length. Only globs with neither (`*`, `*x*`) are candidates for every
 * name. Candidates still go through the rule's own tool matcher.
 */
export class RuleIndex<T extends { readonly index: number }> {
  readonly #exact = new Map<string, T[]>();
  readonly #byPrefix = new Map<string, T[]>();
  readonly #bySuffix = new Map<string, T[]>();
  readonly #always: T[] = [];
  #prefixLengths: number[] = [];
  #suffixLengths: number[] = [];

  /** Files each rule under each of its tool patterns. */
  addAll(entries: Iterable<readonly [T, readonly string[]]>): void {
    const file = (map: Map<string, T[]>, key: string, rule: T) => {
      const bucket = map.get(key);
      if (bucket === undefined) map.set(key, [rule]);
      else if (bucket[bucket.length - 1] !== rule) bucket.push(rule);
    };
    for (const [rule, patterns] of entries) {
      for (const pattern of patterns) {
        if (!isGlob(pattern)) {
          file(this.#exact, pattern, rule);
          continue;
        }
        const prefix = literalPrefix(pattern);
        const suffix = literalSuffix(pattern);
        if (prefix !== '') file(this.#byPrefix, prefix, rule);
        else if (suffix !== '') file(this.#bySuffix, suffix, rule);
        else if (this.#always[this.#always.length - 1] !== rule) this.#always.push(rule);
      }
    }
    this.#prefixLengths = lengths(this.#byPrefix);
    this.#suffixLengths = lengths(this.#bySuffix);
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
    for (const length of this.#suffixLengths) {
      if (length > name.length) break;
      const bucket = this.#bySuffix.get(name.slice(name.length - length));
      if (bucket !== undefined) found.push(bucket);
    }
    if (this.#always.length > 0) found.push(this.#always);
    if (found.length === 0) return [];
    let merged = found[0] as T[];
    for (let i = 1; i < found.length; i++) merged = mergeByIndex(merged, found[i] as T[]);
    return merged;
  }
}

/** Two lists in policy order merged into one, without duplicates (a linear merge: no sort per lookup). */
function mergeByIndex<T extends { readonly index: number }>(a: readonly T[], b: readonly T[]): T[] {
  const out: T[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const x = a[i];
    const y = b[j];
    const next = y === undefined || (x !== undefined && x.index <= y.index) ? (x as T) : y;
    if (next === x) i++;
    if (next === y) j++;
    if (out[out.length - 1] !== next) out.push(next);
  }
  return out;
}
