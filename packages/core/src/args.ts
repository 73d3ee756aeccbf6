import { bindArgs } from '@agentguard/attestation';
import type { GuardErrorCode } from './errors.js';
import { type ArgIssue, type StandardSchemaV1, validateWith } from './standard-schema.js';
import { ID_MAX_CHARS, type TextCleaner, textOf } from './text.js';

/**
 * One value flows through a call. The args as received are copied and frozen (the call envelope, the agent's
 * statement of what it asked for, binds them); the tool's schema validates that copy once; its OUTPUT, copied
 * through canonical JSON and frozen, is the run value: what is digested, decided on, approved, recorded and
 * passed to the tool. A schema that transforms (`.default()`, `.trim()`, coercion, `.transform()`) can never
 * make the tool run on something other than what was decided.
 */

/** The args of a call, as received and as they will run. */
export interface CallArgs {
  /** The args as received, frozen: what the call envelope binds. */
  readonly received: unknown;
  /** Digest of {@link CallArgs.received}. */
  readonly inputDigest: string;
  /** The schema's output, frozen plain JSON: decided on, approved, recorded and run. */
  readonly value: unknown;
  /** Digest of {@link CallArgs.value}: the `argsDigest` of every record, decision and approval. */
  readonly argsDigest: string;
}

/** Why a call's args cannot run: the code, a raw reason (cleaned by the denial), what to record. */
export interface ArgsRefusal {
  readonly ok: false;
  readonly code: Extract<GuardErrorCode, 'ERR_GUARD_ARGS_INVALID' | 'ERR_GUARD_SCHEMA_OUTPUT_INVALID'>;
  readonly reason: string;
  /** Digest of the args as received, when they were JSON. */
  readonly argsDigest?: string;
  /** The schema's issues, redacted and bounded. */
  readonly issues?: readonly ArgIssue[];
  /** The args as received, copied and frozen, when they were JSON (a refusal of the call binds them). */
  readonly received?: unknown;
}

/** The record fields naming a call's args by digest: `argsDigest`, and `inputDigest` when the two differ. */
export function digests(args: CallArgs): { argsDigest: string; inputDigest?: string } {
  return args.inputDigest === args.argsDigest
    ? { argsDigest: args.argsDigest }
    : { argsDigest: args.argsDigest, inputDigest: args.inputDigest };
}

/**
 * Copies and freezes the received args, validates them with the schema (at most `timeoutMs`), and makes the
 * schema's output the run value.
 */
export async function prepareArgs(
  schema: StandardSchemaV1,
  raw: unknown,
  text: TextCleaner,
  timeoutMs: number,
): Promise<({ readonly ok: true } & CallArgs) | ArgsRefusal> {
  let received: unknown;
  let inputDigest: string;
  try {
    ({ args: received, digest: inputDigest } = bindArgs(raw));
  } catch (error) {
    return { ok: false, code: 'ERR_GUARD_ARGS_INVALID', reason: `arguments are not JSON: ${textOf(error)}` };
  }
  const parsed = await validateWith(schema, received, timeoutMs);
  if (!parsed.ok) {
    const issues = parsed.issues.map((i) => ({
      path: text.clean(i.path, ID_MAX_CHARS),
      message: text.clean(i.message),
    }));
    const reason = `invalid arguments: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`;
    return { ok: false, code: 'ERR_GUARD_ARGS_INVALID', reason, argsDigest: inputDigest, issues, received };
  }
  // Most schemas give back what they were given (zod copies it): then the received copy, already frozen and
  // digested, is the run value, and the args are canonicalised once per call rather than twice.
  if (sameJson(parsed.value, received, 0))
    return { ok: true, received, inputDigest, value: received, argsDigest: inputDigest };
  let value: unknown;
  let argsDigest: string;
  try {
    ({ args: value, digest: argsDigest } = bindArgs(parsed.value));
  } catch (error) {
    const reason =
      `the tool's schema output is not plain JSON (${textOf(error)}); a guarded tool runs on JSON values only: ` +
      'make the schema output strings, numbers, booleans, null, arrays and plain objects';
    return { ok: false, code: 'ERR_GUARD_SCHEMA_OUTPUT_INVALID', reason, argsDigest: inputDigest, received };
  }
  return { ok: true, received, inputDigest, value, argsDigest };
}

const MAX_DEPTH = 64;

/**
 * Whether `output` (the schema's, of any shape) is exactly the plain JSON `copy` (frozen, canonical), each
 * member read once: plain objects (of Object.prototype or none) with the same own keys, arrays of the same
 * length, equal scalars. Anything else (a Date, a Map, a class, a function, a hole, a symbol key) is not the
 * same and goes the long way (canonicalised, or refused). The value used afterwards is always `copy`, so a
 * getter or proxy in `output` cannot show one value here and another later.
 */
export function sameJson(output: unknown, copy: unknown, depth: number): boolean {
  // The copy itself or a part of it (a schema that hands back its input): frozen plain JSON already.
  if (output === copy) return true;
  if (typeof output !== 'object' || output === null || typeof copy !== 'object' || copy === null) return false;
  if (depth >= MAX_DEPTH || Object.getOwnPropertySymbols(output).length !== 0) return false;
  if (Array.isArray(copy)) {
    if (!Array.isArray(output) || Object.getPrototypeOf(output) !== Array.prototype) return false;
    if (output.length !== copy.length || Object.keys(output).length !== copy.length) return false;
    for (let i = 0; i < copy.length; i++) if (!sameJson(output[i], copy[i], depth + 1)) return false;
    return true;
  }
  const proto: unknown = Object.getPrototypeOf(output);
  if (Array.isArray(output) || (proto !== Object.prototype && proto !== null)) return false;
  const keys = Object.keys(copy);
  if (Object.keys(output).length !== keys.length) return false;
  for (const key of keys) {
    if (!Object.hasOwn(output, key)) return false;
    if (!sameJson((output as Record<string, unknown>)[key], (copy as Record<string, unknown>)[key], depth + 1)) {
      return false;
    }
  }
  return true;
}
