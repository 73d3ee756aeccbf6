/**
 * A small regular-expression matcher that runs in linear time (Thompson's
 * NFA simulation, as RE2 and Go do), so a policy's `regex` condition can
 * never be turned into a denial of service by catastrophic backtracking. The
 * pattern is parsed by us and is never handed to `RegExp`.
 *
 * Supported (a subset of JavaScript syntax with the same meaning): literals,
 * `.`, classes `[a-z]`/`[^…]`, `\d \D \w \W \s \S`, escapes `\n \r \t \f \v \0
 * \xHH \uHHHH \u{…}` and escaped punctuation, `^` and `$` (whole input),
 * groups `(…)` and `(?:…)`, `|`, and the quantifiers `* + ? {n} {n,} {n,m}`
 * (lazy forms accepted; laziness does not change whether a text matches).
 * Refused at parse time: backreferences, lookaround, named groups, `\b`, and
 * patterns that expand to more than {@link MAX_REGEX_STATES} states.
 *
 * Cost: O(input length × pattern states), with no backtracking at all.
 */

import { type Node, Parser, type Test } from './regex-parse.js';

/** Longest pattern accepted, in characters. */
export const MAX_REGEX_LENGTH = 512;
/** Largest compiled automaton (bounded repetition is expanded). */
export const MAX_REGEX_STATES = 4096;

type State =
  | { kind: 'char'; test: Test; out: number }
  | { kind: 'split'; out1: number; out2: number }
  | { kind: 'bol' | 'eol'; out: number }
  | { kind: 'match' };

function build(root: Node): { states: State[]; start: number } {
  const states: State[] = [{ kind: 'match' }];
  const push = (s: State): number => {
    if (states.length >= MAX_REGEX_STATES)
      throw new SyntaxError(`pattern expands to more than ${MAX_REGEX_STATES} states`);
    states.push(s);
    return states.length - 1;
  };
  const compile = (node: Node, next: number): number => {
    switch (node.t) {
      case 'char':
        return push({ kind: 'char', test: node.test, out: next });
      case 'bol':
      case 'eol':
        return push({ kind: node.t, out: next });
      case 'seq':
        return node.items.reduceRight((out, item) => compile(item, out), next);
      case 'alt':
        return node.options
          .map((o) => compile(o, next))
          .reduceRight((rest, first) => push({ kind: 'split', out1: first, out2: rest }));
      case 'rep': {
        let out = next;
        if (node.max === Infinity) {
          const loop = push({ kind: 'split', out1: -1, out2: next });
          (states[loop] as { out1: number }).out1 = compile(node.node, loop);
          out = loop;
        } else {
          // x{min,max}: `max - min` optional copies; skipping one skips the rest (same language).
          for (let i = node.min; i < node.max; i++)
            out = push({ kind: 'split', out1: compile(node.node, out), out2: next });
        }
        for (let i = 0; i < node.min; i++) out = compile(node.node, out);
        return out;
      }
    }
  };
  return { states, start: compile(root, 0) };
}

/** A compiled pattern: call `test(text)` to search it anywhere in `text`. */
export interface SafeRegex {
  readonly source: string;
  test(text: string): boolean;
}

/**
 * Compiles `pattern` into a linear-time matcher.
 *
 * @param pattern - the pattern (see the module comment for the syntax).
 * @param flags - `''` or `'i'` (case-insensitive).
 * @throws SyntaxError naming the unsupported or malformed part.
 * @example
 * ```ts
 * compileSafeRegex('^[a-z0-9-]+\\.pdf$').test('report-1.pdf'); // true
 * ```
 */
export function compileSafeRegex(pattern: string, flags = ''): SafeRegex {
  if (typeof pattern !== 'string') throw new TypeError(`"pattern" expected string, got ${typeof pattern}`);
  if (pattern.length > MAX_REGEX_LENGTH) throw new SyntaxError(`pattern longer than ${MAX_REGEX_LENGTH} characters`);
  if (flags !== '' && flags !== 'i') throw new SyntaxError(`unsupported flags ${JSON.stringify(flags)}`);
  const { states, start } = build(new Parser(pattern, flags === 'i').parse());
  const marks = new Int32Array(states.length).fill(-1);
  return Object.freeze({
    source: pattern,
    test(text: string): boolean {
      const input = Array.from(text, (ch) => ch.codePointAt(0) as number);
      let generation = 0;
      let current: number[] = [];
      let found = false;
      const add = (list: number[], s: number, pos: number): void => {
        if (marks[s] === generation) return;
        marks[s] = generation;
        const state = states[s] as State;
        if (state.kind === 'match') found = true;
        else if (state.kind === 'split') {
          add(list, state.out1, pos);
          add(list, state.out2, pos);
        } else if (state.kind === 'bol') {
          if (pos === 0) add(list, state.out, pos);
        } else if (state.kind === 'eol') {
          if (pos === input.length) add(list, state.out, pos);
        } else list.push(s);
      };
      marks.fill(-1);
      for (let pos = 0; ; pos++) {
        add(current, start, pos); // unanchored search: a new thread may start anywhere
        if (found) return true;
        if (pos === input.length) return false;
        const cp = input[pos] as number;
        const next: number[] = [];
        generation++;
        for (const s of current) {
          const state = states[s] as { test: Test; out: number };
          if (state.test(cp)) add(next, state.out, pos + 1);
        }
        if (found) return true;
        current = next;
      }
    },
  });
}
