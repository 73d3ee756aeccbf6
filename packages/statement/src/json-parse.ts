/**
 * A strict RFC 8259 JSON parser of our own. `JSON.parse` is lenient where an
 * attacker profits: duplicate member names are last-one-wins (so two parsers can
 * read two different values from one signed text, RFC 8259 §4, RFC 7515 §5.2),
 * `__proto__` members can poison objects that are later merged, lone surrogates
 * pass through, and nesting is bounded only by the stack. This parser refuses
 * all of those, runs without recursion (no stack overflow at any depth), and
 * reports the offset of the first error.
 */
import type { JsonValue } from './canonical.js';
import { StatementError } from './errors.js';

/** Options of {@link parseJson}. */
export interface ParseJsonOptions {
  /**
   * Deepest nesting of arrays and objects accepted (the same count as
   * `canonicalize`'s `maxDepth`: `[[1]]` has depth 2).
   * @default 64
   */
  readonly maxDepth?: number;
  /**
   * Largest input accepted, in UTF-8 bytes; larger text is refused before parsing.
   * @default 1_048_576 (1 MiB)
   */
  readonly maxBytes?: number;
}

const DEFAULT_MAX_DEPTH = 64;
const DEFAULT_MAX_BYTES = 1024 * 1024;

type JsonObject = { [key: string]: JsonValue };
type Frame =
  | { readonly array: JsonValue[]; readonly object?: undefined }
  | { readonly object: JsonObject; key: string };

/**
 * Parses `text` as strict RFC 8259 JSON.
 *
 * Refused, each with a stable code: syntax errors, a byte-order mark, numbers
 * too large for a double and lone surrogates (`ERR_STATEMENT_JSON_PARSE`, message names the
 * character offset); a repeated member name (`ERR_STATEMENT_JSON_DUPLICATE_KEY`); a member
 * named `__proto__` (`ERR_STATEMENT_JSON_FORBIDDEN_KEY`); nesting deeper than `maxDepth`
 * (`ERR_STATEMENT_JSON_TOO_DEEP`); text longer than `maxBytes` (`ERR_STATEMENT_JSON_TOO_LARGE`).
 *
 * Objects are created with a null prototype, so no member can reach
 * `Object.prototype` and nothing inherited (`constructor`, `toString`) can be
 * mistaken for data. Use `Object.hasOwn`/`Object.keys` on them, not `obj.hasOwnProperty`.
 *
 * @param text - the JSON text.
 * @param options - see {@link ParseJsonOptions}.
 * @returns the parsed value.
 * @throws TypeError when `text` is not a string; RangeError on bad options.
 * @throws StatementError `ERR_STATEMENT_JSON_PARSE`, `ERR_STATEMENT_JSON_DUPLICATE_KEY`, `ERR_STATEMENT_JSON_FORBIDDEN_KEY`,
 *   `ERR_STATEMENT_JSON_TOO_DEEP` or `ERR_STATEMENT_JSON_TOO_LARGE`.
 * @example
 * ```ts
 * parseJson('{"tool":"search","args":{"q":"x"}}'); // { tool: 'search', args: { q: 'x' } }
 * parseJson('{"a":1,"a":2}'); // throws StatementError ERR_STATEMENT_JSON_DUPLICATE_KEY
 * ```
 */
export function parseJson(text: string, options: ParseJsonOptions = {}): JsonValue {
  return parseWith(text, options, false);
}

/**
 * Parses `text` as {@link parseJson} does, and also requires it to be in RFC 8785 canonical form: the very text
 * `canonicalize` writes for the value (no whitespace, members in UTF-16 code unit order, strings escaped only
 * where JCS escapes them, numbers in ECMAScript form). One pass: what a verifier of canonical JSON would otherwise
 * do as parse, canonicalize again and compare.
 *
 * @param text - the canonical JSON text.
 * @param options - see {@link ParseJsonOptions}.
 * @returns the parsed value (objects with a null prototype, as `parseJson` returns them); `canonicalize` of it
 *   returns `text`.
 * @throws TypeError when `text` is not a string; RangeError on bad options.
 * @throws StatementError `ERR_STATEMENT_JSON_NOT_CANONICAL` for JSON that is not canonical, else as `parseJson`.
 * @example
 * ```ts
 * parseCanonicalJson('{"a":[true,null],"b":1}'); // { a: [true, null], b: 1 }
 * parseCanonicalJson('{"b":1,"a":2}'); // throws StatementError ERR_STATEMENT_JSON_NOT_CANONICAL
 * ```
 */
export function parseCanonicalJson(text: string, options: ParseJsonOptions = {}): JsonValue {
  return parseWith(text, options, true);
}

/** The options and size checks both parsers share, then one pass of the parser (canonical or not). */
function parseWith(text: string, options: ParseJsonOptions, canonical: boolean): JsonValue {
  if (typeof text !== 'string') throw new TypeError(`"text" expected string, got ${describe(text)}`);
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`"options" expected an object, got ${describe(options)}`);
  }
  const maxDepth = positiveInteger(options.maxDepth ?? DEFAULT_MAX_DEPTH, 'maxDepth');
  const maxBytes = positiveInteger(options.maxBytes ?? DEFAULT_MAX_BYTES, 'maxBytes');
  // Every UTF-16 unit is at least one UTF-8 byte and at most three, so the exact
  // count is needed only in between.
  if (text.length > maxBytes || (text.length * 3 > maxBytes && utf8Length(text) > maxBytes)) {
    throw new StatementError('ERR_STATEMENT_JSON_TOO_LARGE', `JSON text larger than ${maxBytes} bytes`);
  }
  return new Parser(text, maxDepth, canonical).parse();
}

function describe(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
}

function positiveInteger(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`"${name}" expected a positive integer, got ${String(value)}`);
  }
  return value;
}

function utf8Length(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        n += 4;
        i++;
      } else n += 3;
    } else n += 3;
  }
  return n;
}

const ESCAPES: Record<number, string> = {
  34: '"',
  92: '\\',
  47: '/',
  98: '\b',
  102: '\f',
  110: '\n',
  114: '\r',
  116: '\t',
};

/** Control characters canonical JSON writes with a two-character escape (\b \t \n \f \r), never as \u. */
const SHORT_ESCAPED: ReadonlySet<number> = new Set([0x08, 0x09, 0x0a, 0x0c, 0x0d]);

class Parser {
  private i = 0;

  constructor(
    private readonly s: string,
    private readonly maxDepth: number,
    /** Whether the text must also be canonical (RFC 8785): see {@link parseCanonicalJson}. */
    private readonly canonical: boolean,
  ) {}

  parse(): JsonValue {
    const stack: Frame[] = [];
    this.ws();
    for (;;) {
      // At the start of a value (whitespace already skipped).
      let value: JsonValue;
      const c = this.s.charCodeAt(this.i);
      if (c === 0x7b || c === 0x5b) {
        if (stack.length >= this.maxDepth) {
          throw new StatementError(
            'ERR_STATEMENT_JSON_TOO_DEEP',
            `JSON nested deeper than ${this.maxDepth} at offset ${this.i}`,
          );
        }
        this.i++;
        this.ws();
        if (c === 0x7b) {
          const object: JsonObject = Object.create(null) as JsonObject;
          if (this.s.charCodeAt(this.i) !== 0x7d) {
            stack.push({ object, key: this.key(object) });
            continue;
          }
          this.i++;
          value = object;
        } else {
          const array: JsonValue[] = [];
          if (this.s.charCodeAt(this.i) !== 0x5d) {
            stack.push({ array });
            continue;
          }
          this.i++;
          value = array;
        }
      } else {
        value = this.scalar(c);
      }
      // Attach the finished value to its parent and close every container that ends here.
      for (;;) {
        const top = stack[stack.length - 1];
        if (top === undefined) {
          this.ws();
          if (this.i !== this.s.length) this.fail('unexpected text after the JSON value');
          return value;
        }
        if (top.object === undefined) top.array.push(value);
        else top.object[top.key] = value;
        this.ws();
        const next = this.s.charCodeAt(this.i);
        if (next === 0x2c) {
          this.i++;
          this.ws();
          if (top.object !== undefined) top.key = this.key(top.object, top.key);
          break;
        }
        if (next === (top.object === undefined ? 0x5d : 0x7d)) {
          this.i++;
          stack.pop();
          value = top.object === undefined ? top.array : top.object;
          continue;
        }
        this.fail(top.object === undefined ? "expected ',' or ']'" : "expected ',' or '}'");
      }
    }
  }

  private notCanonical(what: string, at = this.i): never {
    throw new StatementError('ERR_STATEMENT_JSON_NOT_CANONICAL', `JSON not in canonical form at offset ${at}: ${what}`);
  }

  private fail(what: string, at = this.i): never {
    const where = at >= this.s.length ? 'end of input' : `offset ${at}`;
    throw new StatementError('ERR_STATEMENT_JSON_PARSE', `invalid JSON at ${where}: ${what}`);
  }

  private ws(): void {
    const s = this.s;
    let i = this.i;
    for (;;) {
      const c = s.charCodeAt(i);
      // RFC 8259 §2: space, tab, line feed, carriage return; nothing else.
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
        if (this.canonical) this.notCanonical('whitespace', i);
        i++;
      } else break;
    }
    this.i = i;
  }

  /**
   * Reads `"name" :` and leaves the cursor at the member's value. `previous` is the object's member before
   * (canonical text sorts members by UTF-16 code units, as `<` compares strings).
   */
  private key(object: JsonObject, previous?: string): string {
    const at = this.i;
    if (this.s.charCodeAt(at) !== 0x22) this.fail('expected a member name string');
    const key = this.string();
    if (key === '__proto__') {
      throw new StatementError(
        'ERR_STATEMENT_JSON_FORBIDDEN_KEY',
        `JSON member name "__proto__" is refused at offset ${at}`,
      );
    }
    if (Object.hasOwn(object, key)) {
      throw new StatementError('ERR_STATEMENT_JSON_DUPLICATE_KEY', `duplicate JSON member name at offset ${at}`);
    }
    if (this.canonical && previous !== undefined && !(previous < key)) this.notCanonical('members out of order', at);
    this.ws();
    if (this.s.charCodeAt(this.i) !== 0x3a) this.fail("expected ':'");
    this.i++;
    this.ws();
    return key;
  }

  private scalar(c: number): JsonValue {
    if (c === 0x22) return this.string();
    if (c === 0x74) return this.literal('true', true);
    if (c === 0x66) return this.literal('false', false);
    if (c === 0x6e) return this.literal('null', null);
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return this.number();
    return this.fail(Number.isNaN(c) ? 'expected a value' : 'unexpected character');
  }

  private literal<T extends JsonValue>(word: string, value: T): T {
    if (!this.s.startsWith(word, this.i)) this.fail('unexpected character');
    this.i += word.length;
    return value;
  }

  private digits(): number {
    const start = this.i;
    while (this.s.charCodeAt(this.i) >= 0x30 && this.s.charCodeAt(this.i) <= 0x39) this.i++;
    return this.i - start;
  }

  private number(): number {
    // RFC 8259 §6: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?
    const start = this.i;
    if (this.s.charCodeAt(this.i) === 0x2d) this.i++;
    if (this.s.charCodeAt(this.i) === 0x30) this.i++;
    else if (this.digits() === 0) this.fail('expected a digit');
    if (this.s.charCodeAt(this.i) === 0x2e) {
      this.i++;
      if (this.digits() === 0) this.fail('expected a digit after the decimal point');
    }
    const e = this.s.charCodeAt(this.i);
    if (e === 0x65 || e === 0x45) {
      this.i++;
      const sign = this.s.charCodeAt(this.i);
      if (sign === 0x2b || sign === 0x2d) this.i++;
      if (this.digits() === 0) this.fail('expected a digit in the exponent');
    }
    const text = this.s.slice(start, this.i);
    const value = Number(text);
    // A number no double can hold would come back as ±Infinity: refuse, do not change it.
    if (!Number.isFinite(value)) this.fail('number out of range', start);
    // RFC 8785 §3.2.2.3: ECMAScript Number serialisation, which writes -0 as 0 (String(-0) is '0').
    if (this.canonical && String(value) !== text) this.notCanonical('number not in ECMAScript form', start);
    return value;
  }

  private string(): string {
    // RFC 8259 §7. The cursor is on the opening quote.
    const s = this.s;
    const start = this.i;
    let i = start + 1;
    let chunk = i;
    let out = '';
    let surrogates = false;
    for (;;) {
      const c = s.charCodeAt(i);
      if (c === 0x22) break;
      if (Number.isNaN(c)) this.fail('unterminated string', start);
      if (c < 0x20) this.fail('control character in string', i);
      if (c >= 0xd800 && c <= 0xdfff) surrogates = true;
      if (c !== 0x5c) {
        i++;
        continue;
      }
      out += s.slice(chunk, i);
      const e = s.charCodeAt(i + 1);
      const simple = ESCAPES[e];
      if (simple !== undefined) {
        // RFC 8785 §3.2.2.2: '/' is never escaped.
        if (this.canonical && e === 0x2f) this.notCanonical('escaped solidus', i);
        out += simple;
        i += 2;
      } else if (e === 0x75) {
        const hex = s.slice(i + 2, i + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail('invalid \\u escape', i);
        const unit = Number.parseInt(hex, 16);
        // RFC 8785 §3.2.2.2: \u only for control characters without a short escape, in lower-case hex.
        if (this.canonical && (unit >= 0x20 || SHORT_ESCAPED.has(unit) || hex !== hex.toLowerCase())) {
          this.notCanonical('escape JCS does not write', i);
        }
        if (unit >= 0xd800 && unit <= 0xdfff) surrogates = true;
        out += String.fromCharCode(unit);
        i += 6;
      } else {
        this.fail('invalid escape', i);
      }
      chunk = i;
    }
    out += s.slice(chunk, i);
    this.i = i + 1;
    // Text with a lone surrogate is not Unicode (RFC 8259 §8.2); refuse it
    // whether it came raw or escaped, so it can never reach canonical bytes.
    if (surrogates && !wellFormed(out)) this.fail('lone surrogate in string', start);
    return out;
  }
}

function wellFormed(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return false;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) return false;
  }
  return true;
}
