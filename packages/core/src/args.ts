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
    return { ok: false, code: 'ERR_GUARD_ARGS_INVALID', reason, argsDigest: inputDigest, issues };
  }
  let value: unknown;
  let argsDigest: string;
  try {
    ({ args: value, digest: argsDigest } = bindArgs(parsed.value));
  } catch (error) {
    const reason =
      `the tool's schema output is not plain JSON (${textOf(error)}); a guarded tool runs on JSON values only: ` +
      'make the schema output strings, numbers, booleans, null, arrays and plain objects';
    return { ok: false, code: 'ERR_GUARD_SCHEMA_OUTPUT_INVALID', reason, argsDigest: inputDigest };
  }
  return { ok: true, received, inputDigest, value, argsDigest };
}
