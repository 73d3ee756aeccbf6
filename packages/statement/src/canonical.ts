import { utf8 } from './encoding.js';
import { StatementError } from './errors.js';

/** Options of {@link canonicalize}. */
export interface CanonicalizeOptions {
  /**
   * Deepest nesting of arrays and objects accepted; deeper input is an error
   * rather than a stack overflow.
   * @default 64
   */
  readonly maxDepth?: number;
}

/** A value that JSON can hold exactly, and so one that {@link canonicalize} accepts. */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

const DEFAULT_MAX_DEPTH = 64;

/**
 * Serialises `value` as RFC 8785 JSON Canonicalization Scheme (JCS) text.
 *
 * Strict: values that JSON cannot hold exactly are an error, never silently
 * changed (undefined, functions, symbols, BigInt, NaN, ±Infinity, Map, Set,
 * Date, typed arrays, class instances, sparse arrays, cycles, lone surrogates).
 *
 * @param value - plain JSON data: null, booleans, finite numbers, strings, arrays, plain objects.
 * @param options - see {@link CanonicalizeOptions}.
 * @returns the canonical JSON text.
 * @throws StatementError `ERR_STATEMENT_JSON_UNSUPPORTED_VALUE`, `ERR_STATEMENT_JSON_CYCLE` or `ERR_STATEMENT_JSON_TOO_DEEP`.
 * @example
 * ```ts
 * canonicalize({ b: 1, a: [true, null] }); // '{"a":[true,null],"b":1}'
 * ```
 */
export function canonicalize(value: unknown, options: CanonicalizeOptions = {}): string {
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
  if (!Number.isInteger(maxDepth) || maxDepth < 1) {
    throw new RangeError(`"maxDepth" expected a positive integer, got ${String(maxDepth)}`);
  }
  // One writer serves every call in turn: a writer per call (its object and two lists) was most of what canonical
  // JSON allocated for a small value. A call made while it is in use (a getter of the value itself calling
  // canonicalize) gets a writer of its own.
  const writer = idle ?? new Writer();
  idle = undefined;
  try {
    return writer.start(maxDepth).write(value, 0);
  } finally {
    writer.reset();
    idle = writer;
  }
}

let idle: Writer | undefined;

/**
 * The UTF-8 bytes of {@link canonicalize}: what gets hashed and signed.
 *
 * @throws StatementError as {@link canonicalize}.
 */
export function canonicalBytes(value: unknown, options: CanonicalizeOptions = {}): Uint8Array {
  return utf8(canonicalize(value, options));
}

/**
 * Sorts member names in place into RFC 8785 order (§3.2.3: by UTF-16 code units, which is what `<` compares on
 * strings and what `Array.prototype.sort` does by default) and returns the same array.
 *
 * Up to 16 names are sorted by insertion: `Array.prototype.sort` sets up working state of its own on every call
 * (about half a kilobyte), which for the few members most objects have costs more than the sort, and canonical
 * JSON sorts the members of every object it writes.
 *
 * @param names - member names (each compared as a string); sorted in place.
 * @returns `names`, sorted.
 * @example
 * ```ts
 * canonicalOrder(['b', 'a', '\u00e9', 'B']); // ['B', 'a', 'b', 'é']
 * ```
 */
export function canonicalOrder(names: string[]): string[] {
  if (names.length > INSERTION_MAX) return names.sort();
  for (let i = 1; i < names.length; i++) {
    const name = names[i] as string;
    let j = i - 1;
    while (j >= 0 && (names[j] as string) > name) {
      names[j + 1] = names[j] as string;
      j--;
    }
    names[j + 1] = name;
  }
  return names;
}

const INSERTION_MAX = 16;

class Writer {
  // The path to the current value, as segments; turned into text only for an error.
  private readonly path: Array<string | number> = [];
  // The objects and arrays being written, outermost first: a value among them is a cycle. A list, not a set: it is
  // as deep as the value (a few levels, bounded by maxDepth), and a set hashes every object it is given.
  private readonly open: object[] = [];
  private maxDepth = DEFAULT_MAX_DEPTH;

  start(maxDepth: number): this {
    this.maxDepth = maxDepth;
    return this;
  }

  /** Forgets what a write that threw left behind. */
  reset(): void {
    this.path.length = 0;
    this.open.length = 0;
  }

  private where(): string {
    let out = '$';
    for (const p of this.path) out += typeof p === 'number' ? `[${p}]` : `.${p}`;
    return out;
  }

  private unsupported(what: string): StatementError {
    return new StatementError('ERR_STATEMENT_JSON_UNSUPPORTED_VALUE', `JSON cannot hold ${what} at ${this.where()}`);
  }

  write(value: unknown, depth: number): string {
    switch (typeof value) {
      case 'string':
        // Printable ASCII without a quote or backslash: nothing to escape (JSON.stringify gives the same text).
        if (PLAIN.test(value)) return `"${value}"`;
        if (!isWellFormed(value)) throw this.unsupported('a lone surrogate');
        // JSON.stringify escapes exactly as RFC 8785 §3.2.2.2 asks once the text is well formed.
        return JSON.stringify(value);
      case 'number':
        // RFC 8785 §3.2.2.3: ECMAScript Number serialisation; -0 becomes 0.
        if (!Number.isFinite(value)) throw this.unsupported(String(value));
        return Object.is(value, -0) ? '0' : String(value);
      case 'boolean':
        return value ? 'true' : 'false';
      case 'object':
        break;
      default:
        throw this.unsupported(typeof value === 'function' ? 'a function' : `a ${typeof value}`);
    }
    if (value === null) return 'null';
    if (depth >= this.maxDepth) {
      throw new StatementError(
        'ERR_STATEMENT_JSON_TOO_DEEP',
        `JSON nested deeper than ${this.maxDepth} at ${this.where()}`,
      );
    }
    if (this.open.includes(value)) throw new StatementError('ERR_STATEMENT_JSON_CYCLE', `cycle at ${this.where()}`);
    this.open.push(value);
    const out = Array.isArray(value) ? this.array(value, depth) : this.object(value, depth);
    this.open.pop();
    return out;
  }

  private array(value: unknown[], depth: number): string {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      this.path.push(i);
      if (!(i in value)) throw this.unsupported('an array hole');
      if (i > 0) out += ',';
      out += this.write(value[i], depth + 1);
      this.path.pop();
    }
    return `${out}]`;
  }

  private object(value: object, depth: number): string {
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype && proto !== null) {
      const name = (value as { constructor?: { name?: string } }).constructor?.name ?? 'object';
      throw this.unsupported(`an instance of ${name}`);
    }
    if (Object.getOwnPropertySymbols(value).length > 0) throw this.unsupported('a symbol key');
    const keys = canonicalOrder(Object.keys(value));
    let out = '{';
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      this.path.push(key);
      let name: string;
      if (PLAIN.test(key)) name = `"${key}"`;
      else if (isWellFormed(key)) name = JSON.stringify(key);
      else throw this.unsupported('a lone surrogate');
      if (i > 0) out += ',';
      out += `${name}:${this.write((value as Record<string, unknown>)[key], depth + 1)}`;
      this.path.pop();
    }
    return `${out}}`;
  }
}

const SURROGATE = /[\uD800-\uDFFF]/;
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** Whether `text` is well-formed UTF-16 (no lone surrogate). The regex test keeps the common case fast. */
function isWellFormed(text: string): boolean {
  if (!SURROGATE.test(text)) return true;
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

/**
 * Whether canonical JSON text (as {@link canonicalize} writes it) has a member named `__proto__`, at any depth: a
 * member a strict parser refuses, and one that `JSON.parse` makes an own property a later merge into another object
 * could be poisoned by. Exact on canonical text: a quote inside a string is always escaped there, so `{"__proto__":`
 * and `,"__proto__":` can only open a member. A check of the text before `JSON.parse`, several times cheaper than a
 * reviver (which also turns off the parser's fast path).
 *
 * Only for canonical text (hence the name): on other JSON text it can miss a member (`"\u005f_proto__"`, or space
 * before the colon), so never use it as a check of text from elsewhere; parse such text with `parseJson`,
 * which refuses the member.
 *
 * @param text - RFC 8785 canonical JSON text, as {@link canonicalize} returned it.
 * @example
 * ```ts
 * canonicalHasProtoMember(canonicalize(JSON.parse('{"a":{"__proto__":1}}'))); // true
 * canonicalHasProtoMember(canonicalize({ a: '{"__proto__":1}' })); // false: inside a string
 * ```
 */
export function canonicalHasProtoMember(text: string): boolean {
  return text.includes('"__proto__":') && /[{,]"__proto__":/.test(text);
}
