import { canonicalize } from '@agentguard/statement';
import { compileGlobs } from './glob.js';
import {
  compileIpRanges,
  endsInNumber,
  type IpAddress,
  embeddedIpv4,
  parseIpAddress,
  parseIpv4,
  parseIpv6,
} from './ip.js';
import { compilePathPrefix, insideAny, type PathStyle, parsePath } from './path.js';
import { MISSING, parsePointer, resolvePointer } from './pointer.js';
import { compileSafeRegex, MAX_REGEX_WORK, type RegexBudget } from './safe-regex.js';
import type { Condition } from '../document/schema.js';
import { readUrlHost } from './url.js';

/** Three-valued result: holds, does not hold, or cannot be decided (wrong type, unparsable). */
export const TRUE = 1;
export const FALSE = 0;
export const UNKNOWN = -1;
export type Tri = typeof TRUE | typeof FALSE | typeof UNKNOWN;

/** Longest string a `regex` test reads; longer input is undecided rather than slow. */
export const MAX_REGEX_INPUT = 65_536;

/**
 * Matching work one decision may spend on `regex` and `glob` tests together (steps of
 * the regex automaton, characters compared by globs). Past it, a test is undecided.
 */
export const MAX_DECISION_WORK = 2 * MAX_REGEX_WORK;

/** Longest host text an `ip` test reads. */
const MAX_HOST_LENGTH = 256;

/** What conditions may consult besides the arguments. */
export interface ConditionContext {
  /** Raw path argument -> real path the resolver returned (undefined when it failed), when a resolver is set. */
  readonly resolvedPaths?: ReadonlyMap<string, string | undefined>;
  /** Why a condition was undecided; the engine puts it into the reason. */
  readonly notes: string[];
  /** Matching work left for this decision. @default a fresh {@link MAX_DECISION_WORK} */
  budget?: RegexBudget;
  /** Canonical JSON of argument values already computed in this decision. */
  canonical?: Map<unknown, string | undefined>;
}

function budgetOf(ctx: ConditionContext): RegexBudget {
  if (ctx.budget === undefined) ctx.budget = { remaining: MAX_DECISION_WORK };
  return ctx.budget;
}

type Test = (value: unknown, ctx: ConditionContext) => Tri;

/** A condition on one argument, compiled once. */
export interface CompiledCondition {
  readonly pointer: string;
  /** Whether the condition has a `pathPrefix` test (the engine resolves those paths first). */
  readonly hasPath: boolean;
  /** How its paths are read. */
  readonly pathStyle: PathStyle;
  /** The argument value, or MISSING. */
  read(args: unknown): unknown;
  evaluate(args: unknown, ctx: ConditionContext): Tri;
}

function canonicalOrUndefined(value: unknown, ctx: ConditionContext): string | undefined {
  // Many rules may compare the same argument: canonicalise it once per decision.
  if (ctx.canonical === undefined) ctx.canonical = new Map();
  if (ctx.canonical.has(value)) return ctx.canonical.get(value);
  let out: string | undefined;
  try {
    out = canonicalize(value);
  } catch {
    out = undefined;
  }
  ctx.canonical.set(value, out);
  return out;
}

function undecided(ctx: ConditionContext, pointer: string, why: string): Tri {
  ctx.notes.push(`${pointer}: ${why}`);
  return UNKNOWN;
}

const dotted = (a: IpAddress): string =>
  [24n, 16n, 8n, 0n].map((shift) => String((a.value >> shift) & 0xffn)).join('.');

function typed<T>(guard: (v: unknown) => v is T, check: (v: T, ctx: ConditionContext) => boolean): Test {
  return (value, ctx) => (guard(value) ? (check(value, ctx) ? TRUE : FALSE) : UNKNOWN);
}
const isString = (v: unknown): v is string => typeof v === 'string';
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isArray = (v: unknown): v is readonly unknown[] => Array.isArray(v);

/** Compiles the tests of `condition` on the argument at `pointer`. */
export function compileCondition(pointer: string, condition: Condition): CompiledCondition {
  const tokens = parsePointer(pointer);
  const tests: Test[] = [];
  const c = condition;
  if (c.eq !== undefined) {
    const expected = canonicalize(c.eq);
    tests.push((v, ctx) => {
      const got = canonicalOrUndefined(v, ctx);
      return got === undefined ? UNKNOWN : got === expected ? TRUE : FALSE;
    });
  }
  if (c.in !== undefined) {
    const set = new Set(c.in.map((v) => canonicalize(v)));
    tests.push((v, ctx) => {
      const got = canonicalOrUndefined(v, ctx);
      return got === undefined ? UNKNOWN : set.has(got) ? TRUE : FALSE;
    });
  }
  if (c.glob !== undefined) {
    const match = compileGlobs(c.glob);
    // A glob costs at most (text length) × (pattern length) comparisons when `?` sits between stars.
    const weight = c.glob.reduce((n, p) => n + (p.includes('?') ? p.length : 1), 0);
    tests.push((v, ctx) => {
      if (!isString(v)) return UNKNOWN;
      const budget = budgetOf(ctx);
      budget.remaining -= v.length * weight;
      if (budget.remaining < 0) return undecided(ctx, pointer, 'matching work budget of the decision exceeded');
      return match(v) ? TRUE : FALSE;
    });
  }
  if (c.regex !== undefined) {
    const re = compileSafeRegex(c.regex, c.regexFlags ?? '');
    tests.push((v, ctx) => {
      if (!isString(v)) return UNKNOWN;
      if (v.length > MAX_REGEX_INPUT) return undecided(ctx, pointer, `string longer than ${MAX_REGEX_INPUT} for regex`);
      const found = re.search(v, budgetOf(ctx));
      if (found === undefined) return undecided(ctx, pointer, 'matching work budget of the decision exceeded');
      return found ? TRUE : FALSE;
    });
  }
  const { min, max, minLength, maxLength, minItems, maxItems } = c;
  if (min !== undefined) tests.push(typed(isNumber, (v) => v >= min));
  if (max !== undefined) tests.push(typed(isNumber, (v) => v <= max));
  if (minLength !== undefined) tests.push(typed(isString, (v) => v.length >= minLength));
  if (maxLength !== undefined) tests.push(typed(isString, (v) => v.length <= maxLength));
  if (minItems !== undefined) tests.push(typed(isArray, (v) => v.length >= minItems));
  if (maxItems !== undefined) tests.push(typed(isArray, (v) => v.length <= maxItems));
  const style: PathStyle = c.pathStyle ?? 'posix';
  if (c.pathPrefix !== undefined) {
    const prefixes = c.pathPrefix.map((p) => compilePathPrefix(p, style));
    tests.push((v, ctx) => {
      if (!isString(v)) return UNKNOWN;
      let text = v;
      if (ctx.resolvedPaths !== undefined) {
        // The raw path goes to the resolver (the OS resolves `..` after links); its answer is compared.
        const raw = parsePath(v, style, true);
        if (!raw.ok) return undecided(ctx, pointer, raw.reason);
        const real = ctx.resolvedPaths.get(v);
        if (real === undefined) return undecided(ctx, pointer, 'path could not be resolved');
        text = real;
      }
      const parsed = parsePath(text, style);
      if (!parsed.ok) return undecided(ctx, pointer, parsed.reason);
      const inside = insideAny(parsed.segments, prefixes, style);
      if (inside === undefined) {
        return undecided(ctx, pointer, 'path differs from an allowed directory only by case or Unicode form');
      }
      return inside ? TRUE : FALSE;
    });
  }
  if (c.urlHost !== undefined) {
    const match = compileGlobs(c.urlHost.map((h) => h.toLowerCase()));
    tests.push((v, ctx) => {
      if (!isString(v)) return undecided(ctx, pointer, 'not a URL');
      const read = readUrlHost(v);
      if (!read.ok) return undecided(ctx, pointer, `not a URL with one reading: ${read.reason}`);
      const host = read.host.endsWith('.') ? read.host.slice(0, -1) : read.host;
      const verdict = match(host);
      // [::ffff:127.0.0.1] and 127.0.0.1 are one destination: the globs must judge both forms alike.
      const v6 = host.startsWith('[') ? parseIpv6(host) : undefined;
      if (v6 !== undefined && embeddedIpv4(v6).some((a) => match(dotted(a)) !== verdict)) {
        return undecided(
          ctx,
          pointer,
          'URL host is an IPv6 address carrying an IPv4 address the globs judge differently',
        );
      }
      return verdict ? TRUE : FALSE;
    });
  }
  if (c.urlIp !== undefined) {
    const ranges = compileIpRanges(c.urlIp);
    tests.push((v, ctx) => {
      if (!isString(v)) return undecided(ctx, pointer, 'not a URL');
      const read = readUrlHost(v);
      if (!read.ok) return undecided(ctx, pointer, `not a URL with one reading: ${read.reason}`);
      const host = read.host;
      const address = host.startsWith('[')
        ? parseIpv6(host)
        : /^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$/.test(host)
          ? parseIpv4(host)
          : undefined;
      if (address !== undefined) return ranges.matches(address) ? TRUE : FALSE;
      if (host.startsWith('[') || endsInNumber(host))
        return undecided(ctx, pointer, 'URL host is not a readable address');
      return ranges.matchesName(host) ? TRUE : FALSE;
    });
  }
  if (c.ip !== undefined) {
    const ranges = compileIpRanges(c.ip);
    tests.push((v, ctx) => {
      if (!isString(v)) return UNKNOWN;
      if (v.length === 0 || v.length > MAX_HOST_LENGTH || /[^\u0021-\u007e]/.test(v)) {
        return undecided(ctx, pointer, 'not a host or IP address');
      }
      const address = parseIpAddress(v);
      if (address !== undefined) return ranges.matches(address) ? TRUE : FALSE;
      // Not an address, but a resolver might still read it as one (`127.0.0.1:80`, `0x7f.1x`): undecided.
      if (!/^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*\.?$/.test(v) || endsInNumber(v)) {
        return undecided(ctx, pointer, 'not a host name or IP address that can be read one way');
      }
      return ranges.matchesName(v) ? TRUE : FALSE;
    });
  }
  const exists = c.exists;
  return Object.freeze({
    pointer,
    hasPath: c.pathPrefix !== undefined,
    pathStyle: style,
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
