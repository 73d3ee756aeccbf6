import { canonicalize } from '@agentguard/identity';
import { compileGlobs } from './glob.js';
import { isUnder, normalizePath } from './path.js';
import { MISSING, parsePointer, resolvePointer } from './pointer.js';
import { compileSafeRegex } from './safe-regex.js';
import type { Condition } from './schema.js';

/** Three-valued result: holds, does not hold, or cannot be decided (wrong type, unparsable). */
export const TRUE = 1;
export const FALSE = 0;
export const UNKNOWN = -1;
export type Tri = typeof TRUE | typeof FALSE | typeof UNKNOWN;

/** Longest string a `regex` test reads; longer input is undecided rather than slow. */
export const MAX_REGEX_INPUT = 65_536;

/** What conditions may consult besides the arguments. */
export interface ConditionContext {
  /** Normalised path -> resolved real path (or undefined when resolution failed), when a resolver is set. */
  readonly resolvedPaths?: ReadonlyMap<string, string | undefined>;
  /** Why a condition was undecided; the engine puts it into the reason. */
  readonly notes: string[];
}

type Test = (value: unknown, ctx: ConditionContext) => Tri;

/** A condition on one argument, compiled once. */
export interface CompiledCondition {
  readonly pointer: string;
  /** Whether the condition has a `pathPrefix` test (the engine resolves those paths first). */
  readonly hasPath: boolean;
  /** The argument value, or MISSING. */
  read(args: unknown): unknown;
  evaluate(args: unknown, ctx: ConditionContext): Tri;
}

function canonicalOrUndefined(value: unknown): string | undefined {
  try {
    return canonicalize(value);
  } catch {
    return undefined;
  }
}

function typed<T>(guard: (v: unknown) => v is T, check: (v: T, ctx: ConditionContext) => boolean): Test {
  return (value, ctx) => (guard(value) ? (check(value, ctx) ? TRUE : FALSE) : UNKNOWN);
}
const isString = (v: unknown): v is string => typeof v === 'string';
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isArray = (v: unknown): v is readonly unknown[] => Array.isArray(v);

function urlHost(value: string): string | undefined {
  try {
    const host = new URL(value).hostname.toLowerCase();
    return host.endsWith('.') ? host.slice(0, -1) : host;
  } catch {
    return undefined;
  }
}

/** Compiles the tests of `condition` on the argument at `pointer`. */
export function compileCondition(pointer: string, condition: Condition): CompiledCondition {
  const tokens = parsePointer(pointer);
  const tests: Test[] = [];
  const c = condition;
  if (c.eq !== undefined) {
    const expected = canonicalize(c.eq);
    tests.push((v) => {
      const got = canonicalOrUndefined(v);
      return got === undefined ? UNKNOWN : got === expected ? TRUE : FALSE;
    });
  }
  if (c.in !== undefined) {
    const set = new Set(c.in.map((v) => canonicalize(v)));
    tests.push((v) => {
      const got = canonicalOrUndefined(v);
      return got === undefined ? UNKNOWN : set.has(got) ? TRUE : FALSE;
    });
  }
  if (c.glob !== undefined) {
    const match = compileGlobs(c.glob);
    tests.push(typed(isString, (v) => match(v)));
  }
  if (c.regex !== undefined) {
    const re = compileSafeRegex(c.regex, c.regexFlags ?? '');
    tests.push((v) => (isString(v) && v.length <= MAX_REGEX_INPUT ? (re.test(v) ? TRUE : FALSE) : UNKNOWN));
  }
  const { min, max, minLength, maxLength, minItems, maxItems } = c;
  if (min !== undefined) tests.push(typed(isNumber, (v) => v >= min));
  if (max !== undefined) tests.push(typed(isNumber, (v) => v <= max));
  if (minLength !== undefined) tests.push(typed(isString, (v) => v.length >= minLength));
  if (maxLength !== undefined) tests.push(typed(isString, (v) => v.length <= maxLength));
  if (minItems !== undefined) tests.push(typed(isArray, (v) => v.length >= minItems));
  if (maxItems !== undefined) tests.push(typed(isArray, (v) => v.length <= maxItems));
  if (c.pathPrefix !== undefined) {
    const prefixes = c.pathPrefix.map((p) => normalizePath(p) as string);
    tests.push((v, ctx) => {
      if (!isString(v)) return UNKNOWN;
      let path = normalizePath(v);
      if (path !== undefined && ctx.resolvedPaths !== undefined) path = ctx.resolvedPaths.get(path);
      if (path === undefined) {
        ctx.notes.push(`${pointer}: not an absolute path that can be resolved`);
        return UNKNOWN;
      }
      const inside = path;
      return prefixes.some((p) => isUnder(inside, p)) ? TRUE : FALSE;
    });
  }
  if (c.urlHost !== undefined) {
    const match = compileGlobs(c.urlHost.map((h) => h.toLowerCase()));
    tests.push((v, ctx) => {
      const host = isString(v) ? urlHost(v) : undefined;
      if (host === undefined) {
        ctx.notes.push(`${pointer}: not a URL`);
        return UNKNOWN;
      }
      return match(host) ? TRUE : FALSE;
    });
  }
  const exists = c.exists;
  return Object.freeze({
    pointer,
    hasPath: c.pathPrefix !== undefined,
    read: (args: unknown) => resolvePointer(args, tokens),
    evaluate(args: unknown, ctx: ConditionContext): Tri {
      const value = resolvePointer(args, tokens);
      if (value === MISSING) return exists === false && tests.length === 0 ? TRUE : FALSE;
      if (exists === false) return FALSE;
      let result: Tri = TRUE;
      for (const test of tests) {
        const r = test(value, ctx);
        if (r === FALSE) return FALSE;
        if (r === UNKNOWN) {
          if (ctx.notes.length === 0 || !ctx.notes[ctx.notes.length - 1]?.startsWith(pointer)) {
            ctx.notes.push(`${pointer}: value of an unexpected type`);
          }
          result = UNKNOWN;
        }
      }
      return result;
    },
  });
}
