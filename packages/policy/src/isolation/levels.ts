/**
 * The isolation a tool runs with, weakest first: `none` (in the agent's own process), `process` (a separate
 * Node process with the permission model, limits and egress only through a broker), `bwrap` (the same inside
 * bubblewrap's mount, PID and network namespaces). A policy's `isolation` obligation names the weakest level
 * it accepts; a tool meets it when its own level is at least as strong.
 */
export const ISOLATION_LEVELS = Object.freeze(['none', 'process', 'bwrap'] as const);

/** One of {@link ISOLATION_LEVELS}. */
export type IsolationLevel = (typeof ISOLATION_LEVELS)[number];

/** Whether `value` is one of {@link ISOLATION_LEVELS} (a closed set: anything else is not a level). */
export function isIsolationLevel(value: unknown): value is IsolationLevel {
  return typeof value === 'string' && (ISOLATION_LEVELS as readonly string[]).includes(value);
}

/**
 * Whether a tool running with `actual` isolation meets a policy's `required` level (none < process < bwrap).
 *
 * @param actual - the tool's isolation.
 * @param required - the weakest level the policy accepts.
 * @returns true when `actual` is at least `required`.
 * @throws TypeError when either is not an isolation level.
 * @example
 * ```ts
 * meetsIsolation('bwrap', 'process'); // true
 * meetsIsolation('none', 'process'); // false
 * ```
 */
export function meetsIsolation(actual: IsolationLevel, required: IsolationLevel): boolean {
  return rank(actual, 'actual') >= rank(required, 'required');
}

/** The stronger of two levels (how several rules' obligations merge). */
export function strongerIsolation(a: IsolationLevel, b: IsolationLevel): IsolationLevel {
  return rank(a, 'a') >= rank(b, 'b') ? a : b;
}

function rank(level: IsolationLevel, name: string): number {
  const i = (ISOLATION_LEVELS as readonly string[]).indexOf(level);
  if (i < 0) throw new TypeError(`"${name}" expected one of 'none', 'process', 'bwrap', got ${JSON.stringify(level)}`);
  return i;
}
