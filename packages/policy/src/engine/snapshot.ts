/**
 * Copies a value given from JavaScript (a policy object, a call's arguments)
 * into fresh plain JSON data before anything is checked, so what is validated
 * is what is used: each property is read exactly once, through its
 * descriptor, so a getter, a Proxy or a later mutation cannot show the
 * validator one value and the engine another. Refused: accessor properties,
 * objects that are not plain (class instances, Date, Map, a tampered
 * prototype), sparse arrays, functions, symbols, BigInt, `__proto__` as an own
 * key, and nesting deeper than `maxDepth` (which also catches cycles).
 */

/** Options of {@link snapshotJson}. */
export interface SnapshotOptions {
  /** Deepest nesting accepted. @default 64 */
  readonly maxDepth?: number;
  /** What to do with an object property whose value is `undefined`: refuse it, or drop it as `JSON.stringify` does. @default 'refuse' */
  readonly undefinedProperties?: 'refuse' | 'drop';
  /** Whether NaN and ±Infinity are kept (arguments) or refused (policies). @default false */
  readonly allowNonFinite?: boolean;
}

/** Why a value could not be copied, with the path where. */
export class SnapshotError extends TypeError {
  override readonly name = 'SnapshotError';
  readonly path: string;
  constructor(
    path: string,
    readonly problem: string,
  ) {
    super(`${path === '' ? '$' : path}: ${problem}`);
    this.path = path === '' ? '$' : path;
  }
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const child = (path: string, key: string | number): string =>
  typeof key === 'number'
    ? `${path}[${key}]`
    : IDENTIFIER.test(key)
      ? `${path === '' ? '' : `${path}.`}${key}`
      : `${path}[${JSON.stringify(key)}]`;

/**
 * Copies `value` into fresh plain JSON data (see the module comment).
 *
 * @param value - the value to copy.
 * @param root - the name of the value in error messages, e.g. `request.args` (`''` for the document itself).
 * @throws SnapshotError (a TypeError) naming the path of the first problem.
 */
export function snapshotJson(value: unknown, root = '', options: SnapshotOptions = {}): unknown {
  const how: How = {
    maxDepth: options.maxDepth ?? 64,
    drop: options.undefinedProperties === 'drop',
    nonFinite: options.allowNonFinite === true,
  };
  return copy(value, root, 0, how);
}

/** The normalised options of one copy. */
interface How {
  readonly maxDepth: number;
  readonly drop: boolean;
  readonly nonFinite: boolean;
}

/** Where a value sits: the root's name, or a member of a parent. Spelled out only for an error message. */
type At = string | { readonly up: At; readonly key: string | number };

function pathOf(at: At): string {
  return typeof at === 'string' ? at : child(pathOf(at.up), at.key);
}

// Module-level (not a closure made per call), and paths built only on error: the copy runs on every decision.
function copy(v: unknown, at: At, depth: number, how: How): unknown {
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return v;
    case 'number':
      if (!how.nonFinite && !Number.isFinite(v)) throw new SnapshotError(pathOf(at), `${v} is not a JSON number`);
      return v;
    case 'object':
      break;
    default:
      throw new SnapshotError(pathOf(at), `a ${typeof v} is not JSON`);
  }
  if (v === null) return null;
  if (depth >= how.maxDepth) throw new SnapshotError(pathOf(at), `nested deeper than ${how.maxDepth} (or a cycle)`);
  if (Array.isArray(v)) {
    if (Object.getPrototypeOf(v) !== Array.prototype) throw new SnapshotError(pathOf(at), 'not a plain array');
    const length = v.length;
    const out: unknown[] = new Array(length);
    for (let i = 0; i < length; i++) {
      const d = Object.getOwnPropertyDescriptor(v, i);
      if (d === undefined) throw new SnapshotError(child(pathOf(at), i), 'a hole in the array');
      if (!('value' in d)) {
        throw new SnapshotError(child(pathOf(at), i), 'an accessor property (getter) is not data');
      }
      out[i] = copy(d.value, { up: at, key: i }, depth + 1, how);
    }
    return out;
  }
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) throw new SnapshotError(pathOf(at), 'not a plain object');
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(v)) {
    if (key === '__proto__') throw new SnapshotError(child(pathOf(at), key), 'the key "__proto__" is refused');
    const d = Object.getOwnPropertyDescriptor(v, key);
    if (d === undefined) continue; // removed while being read (a Proxy): not part of the copy
    if (!('value' in d)) {
      throw new SnapshotError(child(pathOf(at), key), 'an accessor property (getter) is not data');
    }
    if (d.value === undefined) {
      if (how.drop) continue;
      throw new SnapshotError(child(pathOf(at), key), 'undefined is not JSON');
    }
    out[key] = copy(d.value, { up: at, key }, depth + 1, how);
  }
  return out;
}
