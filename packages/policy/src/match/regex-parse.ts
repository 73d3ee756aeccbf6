/**
 * The parser of the safe-regex subset (see `safe-regex.ts` for the syntax):
 * pattern text to a small syntax tree, refusing what the linear-time matcher
 * does not support (backreferences, lookaround, named groups, `\b`).
 */

/** Largest count in a `{n}`, `{n,}` or `{n,m}` quantifier (RE2's limit). */
export const MAX_REGEX_REPEAT = 1000;
/** Deepest nesting of groups. */
export const MAX_REGEX_NESTING = 32;

/** A test on one code point. */
export type Test = (cp: number) => boolean;

/** The syntax tree: characters, sequences, alternatives, repetitions, anchors. */
export type Node =
  | { readonly t: 'char'; readonly test: Test }
  | { readonly t: 'seq'; readonly items: readonly Node[] }
  | { readonly t: 'alt'; readonly options: readonly Node[] }
  | { readonly t: 'rep'; readonly node: Node; readonly min: number; readonly max: number }
  | { readonly t: 'bol' }
  | { readonly t: 'eol' };

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

/** Parses one pattern: `parse()` returns its tree or throws a SyntaxError naming the problem. */
export class Parser {
  readonly #cps: number[];
  readonly #fold: (t: Test) => Test;
  #pos = 0;
  #depth = 0;
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
    if (digits === '') return undefined;
    // Checked on the digits, before any arithmetic: `{99999999999999}` must not reach the compiler.
    const n = digits.replace(/^0+(?=.)/, '').length > 4 ? Infinity : Number(digits);
    if (n > MAX_REGEX_REPEAT) throw new SyntaxError(`quantifier count over ${MAX_REGEX_REPEAT}`);
    return n;
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
        if (++this.#depth > MAX_REGEX_NESTING) throw new SyntaxError(`groups nested deeper than ${MAX_REGEX_NESTING}`);
        if (this.#peek() === '?') {
          this.#pos++;
          if (this.#next() !== ':') throw new SyntaxError('lookaround and named groups are not supported');
        }
        const inner = this.#alt();
        if (this.#next() !== ')') throw new SyntaxError('unterminated group');
        this.#depth--;
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
