/**
 * Rights: what a credential or a delegation grants. Compared with
 * {@link rightsWidening} (is a child at most its parent?) and combined with
 * {@link meetRights} (what two grants allow together).
 */
import {
  type ArgConstraints,
  constraintsAllow,
  constraintsMeet,
  constraintsProblem,
  constraintsWidening,
} from './constraints.js';
import { globMatches, globSetMeet, globSetSubset, isToolGlob, isToolName } from './glob.js';

/** A grant: tools, scopes, argument constraints, a call budget and a validity window. */
export interface Rights {
  /** Tool-name globs the holder may call. */
  readonly tools: readonly string[];
  /** Opaque scope strings (exact match), for the application's own checks. */
  readonly scopes: readonly string[];
  /** Constraints on call arguments, applying to every granted tool. */
  readonly args: ArgConstraints;
  /** Most calls the holder may make under this grant; undefined means no budget set. Enforced by the caller. */
  readonly maxCalls?: number;
  /** Not before, NumericDate seconds (RFC 7519 §2). */
  readonly nbf: number;
  /** Expiry, NumericDate seconds. */
  readonly exp: number;
}

/** A call to check against {@link Rights}. */
export interface RightsCall {
  readonly tool: string;
  readonly args: Readonly<Record<string, unknown>>;
  /** Time of the call in NumericDate seconds. */
  readonly at: number;
  /** Scopes the call needs; all must be granted. @default [] */
  readonly scopes?: readonly string[];
}

/** Which field of a child grant is wider than its parent's. */
export type WidenedField = 'tools' | 'scopes' | 'maxCalls' | 'nbf' | 'exp' | `args.${string}`;

const SCOPE = /^[\x21-\x7e]{1,128}$/;
const MAX_LIST = 256;

/** Problems with the shape of the rights fields of a claim set, or undefined. @internal */
export function rightsProblem(claims: Record<string, unknown>): string | undefined {
  const { tools, scopes, args, maxCalls } = claims;
  if (!Array.isArray(tools) || tools.length > MAX_LIST || !tools.every(isToolGlob)) {
    return `"tools" expected an array of at most ${MAX_LIST} tool globs ([A-Za-z0-9_.:-] and *, no **)`;
  }
  if (new Set(tools).size !== tools.length) return '"tools" holds duplicates';
  if (
    !Array.isArray(scopes) ||
    scopes.length > MAX_LIST ||
    !scopes.every((s) => typeof s === 'string' && SCOPE.test(s))
  ) {
    return `"scopes" expected an array of at most ${MAX_LIST} printable ASCII strings`;
  }
  if (new Set(scopes).size !== scopes.length) return '"scopes" holds duplicates';
  if (args !== undefined) {
    const problem = constraintsProblem(args);
    if (problem !== undefined) return `"args": ${problem}`;
  }
  if (maxCalls !== undefined && !(Number.isSafeInteger(maxCalls) && (maxCalls as number) >= 1)) {
    return '"maxCalls" expected a positive integer';
  }
  return undefined;
}

/**
 * The first field in which `child` grants more than `parent`, or undefined when
 * `child` is contained in `parent` (equal is allowed).
 */
export function rightsWidening(child: Rights, parent: Rights): WidenedField | undefined {
  if (!globSetSubset(child.tools, parent.tools)) return 'tools';
  if (!child.scopes.every((s) => parent.scopes.includes(s))) return 'scopes';
  const arg = constraintsWidening(child.args, parent.args);
  if (arg !== undefined) return `args.${arg}`;
  if (parent.maxCalls !== undefined && !(child.maxCalls !== undefined && child.maxCalls <= parent.maxCalls)) {
    return 'maxCalls';
  }
  if (child.nbf < parent.nbf) return 'nbf';
  if (child.exp > parent.exp) return 'exp';
  return undefined;
}

/** What `a` and `b` allow together: a call allowed by the result is allowed by both. */
export function meetRights(a: Rights, b: Rights): Rights {
  const maxCalls =
    a.maxCalls === undefined && b.maxCalls === undefined
      ? undefined
      : Math.min(a.maxCalls ?? Number.POSITIVE_INFINITY, b.maxCalls ?? Number.POSITIVE_INFINITY);
  const base = {
    tools: globSetMeet(a.tools, b.tools),
    scopes: a.scopes.filter((s) => b.scopes.includes(s)).sort(),
    args: constraintsMeet(a.args, b.args),
    nbf: Math.max(a.nbf, b.nbf),
    exp: Math.min(a.exp, b.exp),
  };
  return maxCalls === undefined ? base : { ...base, maxCalls };
}

/** Why `rights` refuse `call`, or undefined when they allow it. */
export function rightsDenial(rights: Rights, call: RightsCall): string | undefined {
  if (!isToolName(call.tool)) return `"${String(call.tool).slice(0, 80)}" is not a valid tool name`;
  if (!(call.at >= rights.nbf && call.at < rights.exp)) return "the call is outside the grant's validity window";
  if (!rights.tools.some((t) => globMatches(t, call.tool))) return `tool "${call.tool}" is not granted`;
  const missing = (call.scopes ?? []).find((s) => !rights.scopes.includes(s));
  if (missing !== undefined) return `scope "${missing}" is not granted`;
  if (!constraintsAllow(rights.args, call.args)) return 'the arguments are outside the granted constraints';
  return undefined;
}

/** Whether `rights` allow `call` (tool, argument constraints, scopes, validity window). */
export function rightsAllow(rights: Rights, call: RightsCall): boolean {
  return rightsDenial(rights, call) === undefined;
}
