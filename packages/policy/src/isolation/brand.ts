import { type IsolationLevel, isIsolationLevel } from './levels.js';

/**
 * The mark a sandbox runner's `execute` carries, saying which isolation it really runs a call with. A guard
 * reads it to know a tool's isolation rather than trust a declaration: a plain function carries no mark, so
 * it is `none`, whatever its spec says.
 *
 * A registered symbol, so the sandbox package and core agree even when each has its own copy of this package;
 * the property is defined non-writable and non-configurable on a frozen function, and read only as an own
 * data property, so copying, spreading, wrapping (`(a, c) => run(a, c)`) or binding a runner drops the mark
 * rather than carrying it to code that does not isolate. It guards against mistakes, not against code in the
 * agent's process that sets out to forge it (that code could patch the guard itself): see the decision record
 * on isolation.
 */
const ISOLATION_MARK: unique symbol = Symbol.for('@agentguard/isolation') as never;

/**
 * Marks `execute` as a runner that isolates each call at `level`, and freezes it.
 *
 * @param execute - the runner's execute function (fresh, owned by the runner).
 * @param level - `process` or `bwrap`.
 * @returns the same function, frozen.
 * @throws TypeError when `execute` is not a function, `level` is not `process`/`bwrap`, or the function is
 *   already marked or frozen.
 */
export function markIsolation<F extends (...args: never[]) => unknown>(execute: F, level: 'process' | 'bwrap'): F {
  if (typeof execute !== 'function') throw new TypeError('"execute" expected a function');
  if (level !== 'process' && level !== 'bwrap') {
    throw new TypeError(`"level" expected 'process' or 'bwrap', got ${JSON.stringify(level)}`);
  }
  if (!Object.isExtensible(execute) || Object.hasOwn(execute, ISOLATION_MARK)) {
    throw new TypeError('"execute" expected a fresh, unmarked function');
  }
  Object.defineProperty(execute, ISOLATION_MARK, {
    value: Object.freeze({ level }),
    enumerable: false,
    writable: false,
    configurable: false,
  });
  return Object.freeze(execute);
}

/**
 * The isolation `execute` really runs with: the level of its mark, or `none` for anything unmarked. Only an
 * own data property of a frozen function counts (never a getter, an inherited mark or a malformed one).
 *
 * @param execute - a tool's execute function.
 * @returns its isolation level.
 */
export function isolationOf(execute: unknown): IsolationLevel {
  if (typeof execute !== 'function' || !Object.isFrozen(execute)) return 'none';
  const d = Object.getOwnPropertyDescriptor(execute, ISOLATION_MARK);
  if (d === undefined || !('value' in d) || d.writable === true || d.configurable === true) return 'none';
  const mark: unknown = d.value;
  if (typeof mark !== 'object' || mark === null || !Object.isFrozen(mark)) return 'none';
  const level = Object.getOwnPropertyDescriptor(mark, 'level');
  if (level === undefined || !('value' in level) || !isIsolationLevel(level.value)) return 'none';
  return level.value;
}
