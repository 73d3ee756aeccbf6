/**
 * Our own small glob matcher for tool names, agent names and hosts.
 *
 * Syntax: `*` matches any run of characters (including none), `?` exactly one
 * UTF-16 code unit; every other character matches itself. There is no escape
 * and no character class, and no regular expression is ever built from the
 * pattern, so a hostile pattern cannot cause catastrophic backtracking.
 *
 * Algorithm: the pattern is split at `*` into segments. The first segment must
 * match at the start, the last at the end, and each middle segment is found at
 * its leftmost position after the previous one. Leftmost placement is optimal
 * (a later placement never leaves more room), so there is no backtracking: the
 * cost is O(n·k) for text length n and longest segment k, and O(n) for the
 * common shapes (`exact`, `prefix*`, `*suffix`, `*`).
 */

/** Longest pattern accepted, in UTF-16 code units. */
export const MAX_GLOB_LENGTH = 256;

/** A compiled glob: call it with a text to test. */
export type GlobMatcher = (text: string) => boolean;

/** Whether `pattern` contains a wildcard (`*` or `?`). */
export function isGlob(pattern: string): boolean {
  return pattern.includes('*') || pattern.includes('?');
}

/** The characters before the first wildcard: every match starts with them. */
export function literalPrefix(pattern: string): string {
  let end = 0;
  while (end < pattern.length) {
    const c = pattern.charCodeAt(end);
    if (c === 42 /* * */ || c === 63 /* ? */) break;
    end++;
  }
  return pattern.slice(0, end);
}

function segmentAt(text: string, pos: number, segment: string): boolean {
  if (pos + segment.length > text.length) return false;
  for (let i = 0; i < segment.length; i++) {
    const p = segment.charCodeAt(i);
    if (p !== 63 && p !== text.charCodeAt(pos + i)) return false;
  }
  return true;
}

function indexOfSegment(text: string, from: number, segment: string): number {
  if (!segment.includes('?')) return text.indexOf(segment, from);
  for (let pos = from; pos + segment.length <= text.length; pos++) {
    if (segmentAt(text, pos, segment)) return pos;
  }
  return -1;
}

/**
 * Compiles `pattern` into a matcher.
 *
 * @param pattern - a non-empty glob of at most {@link MAX_GLOB_LENGTH} characters.
 * @returns a function testing whether a whole text matches.
 * @throws TypeError when `pattern` is not a string; RangeError when empty or too long.
 * @example
 * ```ts
 * compileGlob('read_*')('read_file'); // true
 * ```
 */
export function compileGlob(pattern: string): GlobMatcher {
  if (typeof pattern !== 'string') throw new TypeError(`"pattern" expected string, got ${typeof pattern}`);
  if (pattern.length === 0 || pattern.length > MAX_GLOB_LENGTH) {
    throw new RangeError(`"pattern" expected 1 to ${MAX_GLOB_LENGTH} characters, got ${pattern.length}`);
  }
  if (!isGlob(pattern)) return (text) => text === pattern;
  const segments = pattern.split('*');
  if (segments.length === 1) {
    return (text) => text.length === pattern.length && segmentAt(text, 0, pattern);
  }
  const first = segments[0] as string;
  const last = segments[segments.length - 1] as string;
  const middle = segments.slice(1, -1).filter((s) => s.length > 0);
  const minLength = first.length + last.length + middle.reduce((n, s) => n + s.length, 0);
  if (middle.length === 0 && !first.includes('?') && !last.includes('?')) {
    // `*`, `prefix*`, `*suffix`, `prefix*suffix`: plain string tests.
    return (text) => text.length >= minLength && text.startsWith(first) && text.endsWith(last);
  }
  return (text) => {
    if (text.length < minLength) return false;
    if (!segmentAt(text, 0, first)) return false;
    const end = text.length - last.length;
    if (!segmentAt(text, end, last)) return false;
    let pos = first.length;
    for (const segment of middle) {
      const at = indexOfSegment(text, pos, segment);
      if (at < 0 || at + segment.length > end) return false;
      pos = at + segment.length;
    }
    return true;
  };
}

/** Compiles several globs into one matcher that holds when any of them does. */
export function compileGlobs(patterns: readonly string[]): GlobMatcher {
  const matchers = patterns.map(compileGlob);
  if (matchers.length === 1) return matchers[0] as GlobMatcher;
  return (text) => {
    for (const m of matchers) if (m(text)) return true;
    return false;
  };
}
