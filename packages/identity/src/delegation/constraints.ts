/**
 * Argument constraints: a small lattice of per-argument restrictions that can be
 * checked against call arguments, compared (is one at least as tight?) and
 * intersected exactly. Fields of one constraint are a conjunction.
 */

/** A JSON primitive an argument may be pinned to. */
export type ConstraintValue = string | number | boolean;

/** Restrictions on one top-level call argument. Every field present must hold. */
export interface ArgConstraint {
  /** The argument is a finite number ≤ `max`. */
  readonly max?: number;
  /** The argument is a finite number ≥ `min`. */
  readonly min?: number;
  /** The argument is one of these primitives (strict equality). */
  readonly oneOf?: readonly ConstraintValue[];
  /**
   * The argument is a normalised `/`-path equal to or below one of these prefixes
   * (`/data` covers `/data` and `/data/x`, not `/database`). Values with `.`, `..`
   * or empty segments never match.
   */
  readonly prefix?: readonly string[];
}

/** Constraints keyed by top-level argument name; an argument named here must be present and satisfy it. */
export type ArgConstraints = Readonly<Record<string, ArgConstraint>>;

const ARG_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const MAX_LIST = 64;

/** Whether `path` is a normalised path: no `.`/`..`/empty segments, no trailing `/` (except `/`), ≤ 1024 chars. */
export function isNormalPath(path: unknown): path is string {
  if (typeof path !== 'string' || path.length === 0 || path.length > 1024 || path.includes('\0')) return false;
  if (path === '/') return true;
  const segments = path.split('/');
  return segments.every((s, i) => (i === 0 && s === '' ? true : s !== '' && s !== '.' && s !== '..'));
}

/** Whether `prefix` covers `path`: equal, or `path` lies below it at a segment boundary. */
export function pathCovers(prefix: string, path: string): boolean {
  if (!isNormalPath(prefix) || !isNormalPath(path)) return false;
  if (path === prefix) return true;
  return path.startsWith(prefix === '/' ? '/' : `${prefix}/`);
}

/** Checks a constraint set's shape; returns a reason or undefined. @internal */
export function constraintsProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'expected an object';
  const entries = Object.entries(value);
  if (entries.length > MAX_LIST) return `at most ${MAX_LIST} constrained arguments`;
  for (const [name, c] of entries) {
    if (!ARG_NAME.test(name) || name === '__proto__') return `argument name "${name}" is not allowed`;
    if (typeof c !== 'object' || c === null || Array.isArray(c)) return `"${name}" expected an object`;
    const keys = Object.keys(c);
    if (keys.length === 0) return `"${name}" has no restriction`;
    for (const key of keys) {
      const v = (c as Record<string, unknown>)[key];
      if (key === 'max' || key === 'min') {
        if (typeof v !== 'number' || !Number.isFinite(v)) return `"${name}.${key}" expected a finite number`;
      } else if (key === 'oneOf') {
        if (!Array.isArray(v) || v.length > MAX_LIST) return `"${name}.oneOf" expected an array of ≤ ${MAX_LIST}`;
        for (const x of v) {
          const ok =
            (typeof x === 'string' && x.length <= 1024) ||
            typeof x === 'boolean' ||
            (typeof x === 'number' && Number.isFinite(x));
          if (!ok) return `"${name}.oneOf" holds a value that is not a string, boolean or finite number`;
        }
      } else if (key === 'prefix') {
        if (!Array.isArray(v) || v.length > MAX_LIST) return `"${name}.prefix" expected an array of ≤ ${MAX_LIST}`;
        if (!v.every(isNormalPath)) return `"${name}.prefix" holds a path that is not normalised`;
      } else {
        return `"${name}.${key}" is not a known restriction`;
      }
    }
  }
  return undefined;
}

/** Whether `value` satisfies `c`. */
export function constraintAllows(c: ArgConstraint, value: unknown): boolean {
  if (c.max !== undefined && !(typeof value === 'number' && Number.isFinite(value) && value <= c.max)) return false;
  if (c.min !== undefined && !(typeof value === 'number' && Number.isFinite(value) && value >= c.min)) return false;
  if (c.oneOf !== undefined && !c.oneOf.some((x) => Object.is(x, value) || x === value)) return false;
  if (c.prefix !== undefined && !(typeof value === 'string' && c.prefix.some((p) => pathCovers(p, value)))) {
    return false;
  }
  return true;
}

/** Whether call `args` satisfy every constraint (a constrained argument must be present). */
export function constraintsAllow(cs: ArgConstraints, args: Readonly<Record<string, unknown>>): boolean {
  for (const [name, c] of Object.entries(cs)) {
    if (!Object.hasOwn(args, name)) return false;
    if (!constraintAllows(c, args[name])) return false;
  }
  return true;
}

/**
 * Where `child` is looser than `parent`, as `"<arg>.<field>"`; undefined when
 * `child` is at least as tight (every value child allows, parent allows).
 */
export function constraintsWidening(child: ArgConstraints, parent: ArgConstraints): string | undefined {
  for (const [name, p] of Object.entries(parent)) {
    const c = Object.hasOwn(child, name) ? child[name] : undefined;
    if (c === undefined) return `${name}`;
    if (p.max !== undefined && !(c.max !== undefined && c.max <= p.max)) return `${name}.max`;
    if (p.min !== undefined && !(c.min !== undefined && c.min >= p.min)) return `${name}.min`;
    if (p.oneOf !== undefined && !c.oneOf?.every((x) => p.oneOf?.includes(x))) {
      return `${name}.oneOf`;
    }
    if (p.prefix !== undefined && !c.prefix?.every((cp) => p.prefix?.some((pp) => pathCovers(pp, cp)))) {
      return `${name}.prefix`;
    }
  }
  return undefined;
}

function meetOne(a: ArgConstraint, b: ArgConstraint): ArgConstraint {
  const out: { max?: number; min?: number; oneOf?: ConstraintValue[]; prefix?: string[] } = {};
  if (a.max !== undefined || b.max !== undefined) out.max = Math.min(a.max ?? Infinity, b.max ?? Infinity);
  if (a.min !== undefined || b.min !== undefined) out.min = Math.max(a.min ?? -Infinity, b.min ?? -Infinity);
  if (a.oneOf !== undefined && b.oneOf !== undefined) out.oneOf = a.oneOf.filter((x) => b.oneOf?.includes(x));
  else if (a.oneOf !== undefined || b.oneOf !== undefined) out.oneOf = [...(a.oneOf ?? b.oneOf ?? [])];
  if (a.prefix !== undefined && b.prefix !== undefined) {
    // Two subtrees are nested or disjoint, so the meet of prefix sets is exact.
    const set = new Set<string>();
    for (const x of a.prefix) {
      for (const y of b.prefix) {
        if (pathCovers(x, y)) set.add(y);
        else if (pathCovers(y, x)) set.add(x);
      }
    }
    out.prefix = [...set].sort();
  } else if (a.prefix !== undefined || b.prefix !== undefined) {
    out.prefix = [...(a.prefix ?? b.prefix ?? [])];
  }
  return out;
}

/** The exact intersection: a value is allowed by the result iff both `a` and `b` allow it. */
export function constraintsMeet(a: ArgConstraints, b: ArgConstraints): ArgConstraints {
  const out: Record<string, ArgConstraint> = {};
  const names = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const name of [...names].sort()) {
    const x = Object.hasOwn(a, name) ? a[name] : undefined;
    const y = Object.hasOwn(b, name) ? b[name] : undefined;
    out[name] = x !== undefined && y !== undefined ? meetOne(x, y) : ((x ?? y) as ArgConstraint);
  }
  return out;
}
