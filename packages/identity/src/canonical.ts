import { utf8 } from './bytes.js';
import { IdentityError } from './errors.js';

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
 * @throws IdentityError `ERR_JSON_UNSUPPORTED_VALUE`, `ERR_JSON_CYCLE` or `ERR_JSON_TOO_DEEP`.
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
  return write(value, '$', new Set<object>(), 0, maxDepth);
}

/**
 * The UTF-8 bytes of {@link canonicalize}: what gets hashed and signed.
 *
 * @throws IdentityError as {@link canonicalize}.
 */
export function canonicalBytes(value: unknown, options: CanonicalizeOptions = {}): Uint8Array {
  return utf8(canonicalize(value, options));
}

function unsupported(path: string, what: string): IdentityError {
  return new IdentityError('ERR_JSON_UNSUPPORTED_VALUE', `JSON cannot hold ${what} at ${path}`);
}

function write(value: unknown, path: string, seen: Set<object>, depth: number, maxDepth: number): string {
  switch (typeof value) {
    case 'string':
      return quote(value, path);
    case 'number':
      // RFC 8785 §3.2.2.3: ECMAScript Number serialisation; -0 becomes 0.
      if (!Number.isFinite(value)) throw unsupported(path, String(value));
      return Object.is(value, -0) ? '0' : String(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      break;
    default:
      throw unsupported(path, typeof value === 'function' ? 'a function' : `a ${typeof value}`);
  }
  if (value === null) return 'null';
  if (depth >= maxDepth) {
    throw new IdentityError('ERR_JSON_TOO_DEEP', `JSON nested deeper than ${maxDepth} at ${path}`);
  }
  if (seen.has(value)) throw new IdentityError('ERR_JSON_CYCLE', `cycle at ${path}`);
  seen.add(value);
  let out: string;
  if (Array.isArray(value)) {
    out = '[';
    for (let i = 0; i < value.length; i++) {
      if (!(i in value)) throw unsupported(`${path}[${i}]`, 'an array hole');
      if (i > 0) out += ',';
      out += write(value[i], `${path}[${i}]`, seen, depth + 1, maxDepth);
    }
    out += ']';
  } else {
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype && proto !== null) {
      const name = (value as { constructor?: { name?: string } }).constructor?.name ?? 'object';
      throw unsupported(path, `an instance of ${name}`);
    }
    if (Object.getOwnPropertySymbols(value).length > 0) throw unsupported(path, 'a symbol key');
    // RFC 8785 §3.2.3: sort by UTF-16 code units, which is what the default sort compares.
    const keys = Object.keys(value).sort();
    out = '{';
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      const child = (value as Record<string, unknown>)[key];
      const childPath = `${path}.${key}`;
      if (i > 0) out += ',';
      out += `${quote(key, childPath)}:${write(child, childPath, seen, depth + 1, maxDepth)}`;
    }
    out += '}';
  }
  seen.delete(value);
  return out;
}

function quote(text: string, path: string): string {
  // JSON.stringify escapes exactly as RFC 8785 §3.2.2.2 asks, but turns lone
  // surrogates into \udXXX escapes; such text is not Unicode, so refuse it.
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
      throw unsupported(path, 'a lone surrogate');
    }
    if (c >= 0xdc00 && c <= 0xdfff) throw unsupported(path, 'a lone surrogate');
  }
  return JSON.stringify(text);
}
