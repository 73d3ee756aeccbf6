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

/** Longest pattern accepted, in characters. */
export const MAX_REGEX_LENGTH = 512;
/** Largest compiled automaton (bounded repetition is expanded). */
export const MAX_REGEX_STATES = 4096;

type Test = (cp: number) => boolean;
type Node =
  | { readonly t: 'char'; readonly test: Test }
  | { readonly t: 'seq'; readonly items: readonly Node[] }
  | { readonly t: 'alt'; readonly options: readonly Node[] }
  | { readonly t: 'rep'; readonly node: Node; readonly min: number; readonly max: number }
  | { readonly t: 'bol' }
  | { readonly t: 'eol' };
type State =
  | { kind: 'char'; test: Test; out: number }
  | { kind: 'split'; out1: number; out2: number }
  | { kind: 'bol' | 'eol'; out: number }
  | { kind: 'match' };

const isDigit: Test = (c) => c >= 48 && c <= 57;
const isWord: Test = (c) => isDigit(c) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
const SPACE = new Set([9, 10, 11, 12, 13, 32, 0xa0, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000, 0xfeff]);
const isSpace: Test = (c) => SPACE.has(c) || (c >= 0x2000 && c <= 0x200a);
const isLineEnd: Test = (c) => c === 10 || c === 13 || c === 0x2028 || c === 0x2029;
const not =
  (t: Test): Test =>
  (c) =>
    !t(c);
const SIMPLE_ESCAPES: Record<string, number> = { n: 10, r: 13, t: 9, f: 12, v: 11, '0': 0 };
const CLASS_ESCAPES: Record<string, Test> = {
  d: isDigit,
  D: not(isDigit),
  w: isWord,
  W: not(isWord),
  s: isSpace,
  S: not(isSpace),
};

function caseless(test: Test): Test {
  return (c) => {
    if (test(c)) return true;
    const s = String.fromCodePoint(c);
    return test(s.toLowerCase().codePointAt(0) as number) || test(s.toUpperCase().codePointAt(0) as number);
  };
}

class Parser {
  readonly #cps: number[];
  readonly #fold: (t: Test) => Test;
  #pos = 0;
  constructor(pattern: string, ignoreCase: boolean) {
    this.#cps = Array.from(pattern, (ch) => ch.codePointAt(0) as number);
    this.#fold = ignoreCase ? caseless : (t) => t;
  }
  #peek(): string | undefined {
    const c = this.#cps[this.#pos];
    return c === undefined ? undefined : String.fromCodePoint(c);
  }
  #next(): string {
    const c = this.#peek();
    if (c === undefined) throw new SyntaxError('unexpected end of pattern');
    this.#pos++;
    return c;
  }
  parse(): Node {
    const node = this.#alt();
    if (this.#pos < this.#cps.length) throw new SyntaxError(`unexpected "${this.#peek()}" at ${this.#pos}`);
    return node;
  }
  #alt(): Node {
    const options = [this.#seq()];
    while (this.#peek() === '|') {
      this.#pos++;
      options.push(this.#seq());
    }
    return options.length === 1 ? (options[0] as Node) : { t: 'alt', options };
  }
  #seq(): Node {
    const items: Node[] = [];
    for (let c = this.#peek(); c !== undefined && c !== '|' && c !== ')'; c = this.#peek()) {
      items.push(this.#quantified(this.#atom()));
    }
    return { t: 'seq', items };
  }
  #number(): number | undefined {
    let digits = '';
    while (this.#peek() !== undefined && /[0-9]/.test(this.#peek() as string)) digits += this.#next();
    return digits === '' ? undefined : Number(digits);
  }
  #quantified(node: Node): Node {
    const c = this.#peek();
    let min: number;
    let max: number;
    if (c === '*' || c === '+' || c === '?') {
      this.#pos++;
      [min, max] = c === '*' ? [0, Infinity] : c === '+' ? [1, Infinity] : [0, 1];
    } else if (c === '{') {
      this.#pos++;
      const lo = this.#number();
      if (lo === undefined) throw new SyntaxError('"{" must start a quantifier {n}, {n,} or {n,m}');
      let hi = lo;
      if (this.#peek() === ',') {
        this.#pos++;
        hi = this.#number() ?? Infinity;
      }
      if (this.#next() !== '}') throw new SyntaxError('unterminated quantifier');
      if (hi < lo) throw new SyntaxError('quantifier range out of order');
      [min, max] = [lo, hi];
    } else {
      return node;
    }
    if (this.#peek() === '?') this.#pos++; // lazy: same language
    if (node.t === 'bol' || node.t === 'eol') throw new SyntaxError('nothing to repeat');
    const after = this.#peek();
    if (after === '*' || after === '+' || after === '?' || after === '{') throw new SyntaxError('nothing to repeat');
    return { t: 'rep', node, min, max };
  }
  #atom(): Node {
    const c = this.#next();
    switch (c) {
      case '(': {
        if (this.#peek() === '?') {
          this.#pos++;
          if (this.#next() !== ':') throw new SyntaxError('lookaround and named groups are not supported');
        }
        const inner = this.#alt();
        if (this.#next() !== ')') throw new SyntaxError('unterminated group');
        return inner;
      }
      case '[':
        return { t: 'char', test: this.#class() };
      case '.':
        // Line terminators have no case variants, so folding does not matter here.
        return { t: 'char', test: not(isLineEnd) };
      case '^':
        return { t: 'bol' };
      case '$':
        return { t: 'eol' };
      case '\\': {
        const e = this.#escape();
        return { t: 'char', test: this.#fold(typeof e === 'number' ? (x) => x === e : e) };
      }
      case '*':
      case '+':
      case '?':
      case '{':
      case '}':
      case ']':
        throw new SyntaxError(`nothing to repeat or lone "${c}"`);
      default: {
        const cp = c.codePointAt(0) as number;
        return { t: 'char', test: this.#fold((x) => x === cp) };
      }
    }
  }
  #hex(count: number): number {
    let text = '';
    for (let i = 0; i < count; i++) text += this.#next();
    if (!/^[0-9a-fA-F]+$/.test(text)) throw new SyntaxError('bad hex escape');
    return Number.parseInt(text, 16);
  }
  /** An escape after `\`: a code point, or a test for a class escape such as `\d`. */
  #escape(): number | Test {
    const c = this.#next();
    const cls = CLASS_ESCAPES[c];
    if (cls !== undefined) return cls;
    let cp: number;
    if (c in SIMPLE_ESCAPES) {
      if (c === '0' && /[0-9]/.test(this.#peek() ?? '')) throw new SyntaxError('octal escapes are not supported');
      cp = SIMPLE_ESCAPES[c] as number;
    } else if (c === 'x') cp = this.#hex(2);
    else if (c === 'u') {
      if (this.#peek() === '{') {
        this.#pos++;
        let text = '';
        while (this.#peek() !== '}') text += this.#next();
        this.#pos++;
        if (!/^[0-9a-fA-F]{1,6}$/.test(text)) throw new SyntaxError('bad \\u{…} escape');
        cp = Number.parseInt(text, 16);
        if (cp > 0x10ffff) throw new SyntaxError('bad \\u{…} escape');
      } else cp = this.#hex(4);
    } else if (/^[\^$\\.*+?()[\]{}|/-]$/.test(c)) cp = c.codePointAt(0) as number;
    else if (/[1-9]/.test(c) || c === 'k') throw new SyntaxError('backreferences are not supported');
    else throw new SyntaxError(`unsupported escape "\\${c}"`);
    return cp;
  }
  #class(): Test {
    const negate = this.#peek() === '^';
    if (negate) this.#pos++;
    const tests: Test[] = [];
    while (this.#peek() !== ']') {
      const start = this.#classAtom();
      if (this.#peek() === '-' && this.#cps[this.#pos + 1] !== 93 /* ] */) {
        this.#pos++;
        const end = this.#classAtom();
        if (typeof start !== 'number' || typeof end !== 'number') throw new SyntaxError('bad class range');
        if (end < start) throw new SyntaxError('class range out of order');
        tests.push((x) => x >= start && x <= end);
      } else tests.push(typeof start === 'number' ? (x) => x === start : start);
    }
    this.#pos++;
    // Case folding applies to the class before it is complemented, as in ECMAScript.
    const any = this.#fold((x) => tests.some((t) => t(x)));
    return negate ? not(any) : any;
  }
  #classAtom(): number | Test {
    const c = this.#next();
    return c === '\\' ? this.#escape() : (c.codePointAt(0) as number);
  }
}

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
