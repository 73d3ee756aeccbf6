/**
 * The one grammar of tool names and tool patterns, shared by every place that names a tool: the guard's tool
 * definitions, policy rules and limits (`tools`), credentials and delegations (`tools`).
 *
 * - A tool name is 1 to 128 characters from `A-Z a-z 0-9 _ . : -`. That is the set MCP tool names use
 *   (letters, digits, `_`, `-`, `.`) plus `:` for namespaces; no spaces, slashes or control characters, so a
 *   name is safe in logs, file names, headers and metrics labels. `__proto__` alone is refused: names are keys
 *   of JSON objects (attestations, profiles, reports), and every strict reader refuses a member of that name, so
 *   a tool so named would make evidence no one can read back.
 * - A tool pattern is a tool name in which `*` stands for any run of name characters, possibly empty. `**` is
 *   refused (it means what `*` means, and one meaning has one spelling). There is no `?`, no character class
 *   and no escape: with `*` alone, whether one pattern covers another is decidable exactly and cheaply, which
 *   delegation needs to prove that a child credential never widens its parent.
 */

const NAME = /^[A-Za-z0-9_.:-]{1,128}$/;
const PATTERN = /^[A-Za-z0-9_.:*-]{1,128}$/;

/** Longest tool name or pattern, in characters. */
export const MAX_TOOL_NAME_LENGTH = 128;

/**
 * Whether `name` is a well-formed tool name.
 *
 * @param name - any value.
 * @returns true for 1 to 128 characters from `A-Z a-z 0-9 _ . : -`, other than `__proto__`.
 * @example
 * ```ts
 * isToolName('fs.read'); // true
 * isToolName('fs read'); // false
 * ```
 */
export function isToolName(name: unknown): name is string {
  return typeof name === 'string' && NAME.test(name) && name !== '__proto__';
}

/**
 * Whether `pattern` is a well-formed tool pattern: a tool name in which `*` may stand for any run of name
 * characters; `**`, `?` and every other character are refused.
 *
 * @param pattern - any value.
 * @returns true when `pattern` is a tool pattern.
 * @example
 * ```ts
 * isToolPattern('fs.*'); // true
 * isToolPattern('pay?'); // false
 * ```
 */
export function isToolPattern(pattern: unknown): pattern is string {
  return typeof pattern === 'string' && PATTERN.test(pattern) && !pattern.includes('**') && pattern !== '__proto__';
}

/**
 * Whether the tool pattern `pattern` matches the tool name `name`. Malformed input never matches.
 * Linear-time greedy matching with one backtrack point (no regular expression, so no ReDoS).
 *
 * @param pattern - a tool pattern.
 * @param name - a tool name.
 * @returns true when `name` is in the language of `pattern`.
 * @example
 * ```ts
 * toolPatternMatches('fs.*', 'fs.read'); // true
 * ```
 */
export function toolPatternMatches(pattern: string, name: string): boolean {
  if (!isToolPattern(pattern) || !isToolName(name)) return false;
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
