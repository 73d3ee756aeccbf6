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
 * Refused at parse time: backreferences, lookaround, named groups, `\b`,
 * patterns over {@link MAX_REGEX_LENGTH} characters, counts over
 * {@link MAX_REGEX_REPEAT}, groups nested deeper than {@link MAX_REGEX_NESTING},
 * and patterns that expand to more than {@link MAX_REGEX_STATES} states. So
 * compiling is bounded too.
 *
 * Cost: O(input length × pattern states), with no backtracking at all, and
 * bounded by a step budget: `test` refuses past {@link MAX_REGEX_WORK} steps,
 * and `search` draws on a budget shared by a whole policy decision.
 */

import { MAX_REGEX_NESTING, MAX_REGEX_REPEAT, type Node, Parser, type Test } from './regex-parse.js';

export { MAX_REGEX_NESTING, MAX_REGEX_REPEAT };

/** Longest pattern accepted, in characters. */
export const MAX_REGEX_LENGTH = 512;
/** Largest compiled automaton (bounded repetition is expanded). */
export const MAX_REGEX_STATES = 4096;
/** Most nodes the compiler may visit (empty groups repeated add no state but still cost work). */
const MAX_COMPILE_WORK = 4 * MAX_REGEX_STATES;
/**
 * Most matcher steps (a state entered or a character tested) one `test` may
 * take; also the default budget of one policy decision for all its regexes.
 * About 50 ms of work on a current machine; a search costs at most about 2 × states × (input + 1) steps.
 */
export const MAX_REGEX_WORK = 1_000_000;

type State =
  | { kind: 'char'; test: Test; out: number }
  | { kind: 'split'; out1: number; out2: number }
  | { kind: 'bol' | 'eol'; out: number }
  | { kind: 'match' };

function build(root: Node): { states: State[]; start: number } {
  const states: State[] = [{ kind: 'match' }];
  let work = 0;
  const push = (s: State): number => {
    if (states.length >= MAX_REGEX_STATES)
      throw new SyntaxError(`pattern expands to more than ${MAX_REGEX_STATES} states`);
    states.push(s);
    return states.length - 1;
  };
  const compile = (node: Node, next: number): number => {
    if (++work > MAX_COMPILE_WORK) throw new SyntaxError('pattern too complex (repetitions expand too far)');
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

/** A budget of matcher steps shared by several searches (one policy decision); `remaining` counts down. */
export interface RegexBudget {
  remaining: number;
}

/** A compiled pattern: call `test(text)` to search it anywhere in `text`. */
export interface SafeRegex {
  readonly source: string;
  /**
   * Whether the pattern is found in `text`.
   * @throws RangeError when the search would take more than {@link MAX_REGEX_WORK} steps.
   */
  test(text: string): boolean;
  /** Like `test`, drawing on a shared budget: `undefined` when the budget runs out first (nothing is decided). */
  search(text: string, budget: RegexBudget): boolean | undefined;
}

/**
 * Compiles `pattern` into a linear-time matcher.
 *
 * @param pattern - the pattern (see the module comment for the syntax).
 * @param flags - `''` or `'i'` (case-insensitive).
 * @throws SyntaxError naming the unsupported or malformed part, or the bound exceeded (length
 *   {@link MAX_REGEX_LENGTH}, count {@link MAX_REGEX_REPEAT}, nesting {@link MAX_REGEX_NESTING},
 *   states {@link MAX_REGEX_STATES}).
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
  const marks = new Int32Array(states.length);
  // A state is pushed at most twice per pass (two splits may lead to it) before it is marked.
  const stack = new Int32Array(2 * states.length + 2);
  // Two thread lists, swapped each step, so a search allocates nothing per character.
  let current = new Int32Array(states.length);
  let next = new Int32Array(states.length);
  const search = (text: string, budget: RegexBudget): boolean | undefined => {
    if (typeof text !== 'string') throw new TypeError(`"text" expected string, got ${typeof text}`);
    const input = Array.from(text, (ch) => ch.codePointAt(0) as number);
    let generation = 1;
    let currentLength = 0;
    let nextLength = 0;
    let found = false;
    let steps = budget.remaining;
    // Follows split and anchor states from `s` without recursion; every state entered costs one step.
    const add = (toNext: boolean, s: number, pos: number): void => {
      let top = 0;
      stack[top++] = s;
      while (top > 0) {
        const at = stack[--top] as number;
        if (marks[at] === generation) continue;
        marks[at] = generation;
        steps--;
        const state = states[at] as State;
        if (state.kind === 'match') found = true;
        else if (state.kind === 'split') {
          stack[top++] = state.out2;
          stack[top++] = state.out1;
        } else if (state.kind === 'bol') {
          if (pos === 0) stack[top++] = state.out;
        } else if (state.kind === 'eol') {
          if (pos === input.length) stack[top++] = state.out;
        } else if (toNext) next[nextLength++] = at;
        else current[currentLength++] = at;
      }
    };
    marks.fill(0);
    try {
      for (let pos = 0; ; pos++) {
        add(false, start, pos); // unanchored search: a new thread may start anywhere
        if (found) return true;
        if (steps < 0) return undefined;
        if (pos === input.length) return false;
        const cp = input[pos] as number;
        nextLength = 0;
        generation++;
        for (let i = 0; i < currentLength; i++) {
          const state = states[current[i] as number] as { test: Test; out: number };
          steps--;
          if (state.test(cp)) add(true, state.out, pos + 1);
        }
        if (found) return true;
        if (steps < 0) return undefined;
        [current, next] = [next, current];
        currentLength = nextLength;
      }
    } finally {
      budget.remaining = Math.max(0, steps);
    }
  };
  return Object.freeze({
    source: pattern,
    search,
    test(text: string): boolean {
      const found = search(text, { remaining: MAX_REGEX_WORK });
      if (found === undefined) throw new RangeError(`regex search exceeded ${MAX_REGEX_WORK} steps`);
      return found;
    },
  });
}
