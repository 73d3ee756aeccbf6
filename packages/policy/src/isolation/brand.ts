import type { RunnerGrants } from './grants.js';
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
 * @param grants - the paths and hosts the runner was configured with (copied and frozen into the mark, so a
 *   policy's `grants` obligation can be checked against them). @default nothing granted
 * @returns the same function, frozen.
 * @throws TypeError when `execute` is not a function, `level` is not `process`/`bwrap`, `grants` is malformed,
 *   or the function is already marked or frozen.
 */
export function markIsolation<F extends (...args: never[]) => unknown>(
  execute: F,
  level: 'process' | 'bwrap',
  grants: RunnerGrants = { read: [], write: [], egress: [] },
): F {
  if (typeof execute !== 'function') throw new TypeError('"execute" expected a function');
  if (level !== 'process' && level !== 'bwrap') {
    throw new TypeError(`"level" expected 'process' or 'bwrap', got ${JSON.stringify(level)}`);
  }
  if (!Object.isExtensible(execute) || Object.hasOwn(execute, ISOLATION_MARK)) {
    throw new TypeError('"execute" expected a fresh, unmarked function');
  }
  const config = copyGrants(grants);
  if (config === undefined)
    throw new TypeError('"grants" expected { read, write: string[], egress: { host, ports }[] }');
  Object.defineProperty(execute, ISOLATION_MARK, {
    value: Object.freeze({ level, grants: config }),
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
  const mark = markOf(execute);
  if (mark === undefined) return 'none';
  const level = Object.getOwnPropertyDescriptor(mark, 'level');
  if (level === undefined || !('value' in level) || !isIsolationLevel(level.value)) return 'none';
  return level.value;
}

/**
 * What the runner `execute` belongs to was configured with (paths it may read and write, hosts and ports it
 * may reach), or `undefined` for anything whose mark is absent or malformed (as for {@link isolationOf}).
 *
 * @param execute - a tool's execute function.
 * @returns the frozen configuration of its mark.
 */
export function runnerGrantsOf(execute: unknown): RunnerGrants | undefined {
  if (isolationOf(execute) === 'none') return undefined;
  const mark = markOf(execute) as object;
  const grants = Object.getOwnPropertyDescriptor(mark, 'grants');
  if (grants === undefined || !('value' in grants)) return undefined;
  const value: unknown = grants.value;
  // Only the frozen copy markIsolation wrote: deep-frozen, checked again as it is read.
  return isDeepFrozen(value) ? copyGrants(value as RunnerGrants) : undefined;
}

function markOf(execute: unknown): object | undefined {
  if (typeof execute !== 'function' || !Object.isFrozen(execute)) return undefined;
  const d = Object.getOwnPropertyDescriptor(execute, ISOLATION_MARK);
  if (d === undefined || !('value' in d) || d.writable === true || d.configurable === true) return undefined;
  const mark: unknown = d.value;
  if (typeof mark !== 'object' || mark === null || !Object.isFrozen(mark)) return undefined;
  return mark;
}

function isDeepFrozen(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return true;
  if (!Object.isFrozen(value)) return false;
  return Object.values(value).every(isDeepFrozen);
}

const strings = (v: unknown): v is readonly string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');

/** A deep-frozen copy of well-formed runner grants (plain arrays and objects only), or `undefined`. */
function copyGrants(g: unknown): RunnerGrants | undefined {
  if (typeof g !== 'object' || g === null) return undefined;
  const { read, write, egress } = g as Record<string, unknown>;
  if (!strings(read) || !strings(write) || !Array.isArray(egress)) return undefined;
  const rules: { host: string; ports: readonly number[] }[] = [];
  for (const rule of egress as unknown[]) {
    if (typeof rule !== 'object' || rule === null) return undefined;
    const { host, ports } = rule as Record<string, unknown>;
    if (typeof host !== 'string' || !Array.isArray(ports)) return undefined;
    if (!ports.every((p) => Number.isSafeInteger(p))) return undefined;
    rules.push(Object.freeze({ host, ports: Object.freeze([...(ports as number[])]) }));
  }
  return Object.freeze({
    read: Object.freeze([...read]),
    write: Object.freeze([...write]),
    egress: Object.freeze(rules),
  });
}
