import { boundText, createTextCleaner, ID_MAX_CHARS, TEXT_MAX_CHARS, type TextCleaner, textOf } from './text.js';

/** Stable error codes of `@agentguard/core`. Public API: switch on `code`. */
export const GUARD_ERROR_CODES = Object.freeze([
  'ERR_GUARD_POLICY_DENIED',
  'ERR_GUARD_ARGS_INVALID',
  'ERR_GUARD_SCHEMA_OUTPUT_INVALID',
  'ERR_GUARD_CALL_ID_INVALID',
  'ERR_GUARD_TOOL_FAILED',
  'ERR_GUARD_TOOL_TIMEOUT',
  'ERR_GUARD_RESULT_TOO_LARGE',
  'ERR_GUARD_CALL_ABORTED',
  'ERR_GUARD_APPROVAL_REQUIRED',
  'ERR_GUARD_APPROVAL_REFUSED',
  'ERR_GUARD_CALL_ALREADY_RUN',
  'ERR_GUARD_ENVELOPE_REJECTED',
  'ERR_GUARD_CREDENTIAL_REJECTED',
  'ERR_GUARD_ISOLATION_REQUIRED',
  'ERR_GUARD_AUDIT_FAILED',
  'ERR_GUARD_ATTESTATION_CHANGED',
  'ERR_GUARD_SUSPENDED',
  'ERR_GUARD_CONTROL_STALE',
  'ERR_GUARD_MONITOR_SUSPENDED',
] as const);

/** One of {@link GUARD_ERROR_CODES}. */
export type GuardErrorCode = (typeof GUARD_ERROR_CODES)[number];

/**
 * Core's own sub-codes. Never a Denial's `code`: they say, inside a record's `approvalCode` or
 * `credentialCode` or a span's `error.type`, why a step failed.
 *
 * | code | meaning |
 * | --- | --- |
 * | `ERR_GUARD_APPROVAL_FAILED` | checking a given approval threw (a broken replay store, a bug); refused |
 * | `ERR_GUARD_APPROVAL_TIMEOUT` | the approver gave no answer within `approvals.timeoutMs` |
 * | `ERR_GUARD_APPROVER_FAILED` | the approver threw |
 * | `ERR_GUARD_CREDENTIAL_CHECK_FAILED` | checking the credential chain threw; refused |
 * | `ERR_GUARD_INSTRUMENTATION_STOPPED` | OpenTelemetry instrumentation stopped while the span was open |
 */
export const GUARD_RECORD_CODES = Object.freeze([
  'ERR_GUARD_APPROVAL_FAILED',
  'ERR_GUARD_APPROVAL_TIMEOUT',
  'ERR_GUARD_APPROVER_FAILED',
  'ERR_GUARD_CREDENTIAL_CHECK_FAILED',
  'ERR_GUARD_INSTRUMENTATION_STOPPED',
] as const);

/** One of {@link GUARD_RECORD_CODES}. */
export type GuardRecordCode = (typeof GUARD_RECORD_CODES)[number];

// Why an approval, a credential or an envelope was refused, as a record's sub-code names it: the record contract
// (audit) owns these closed unions; core re-exports them for its writers' signatures.
export type { ApprovalRecordCode, CredentialRecordCode, EnvelopeRecordCode } from '@agentguard/audit';

/** What kind of refusal a {@link Denial} is. */
export type DenialOutcome = 'denied' | 'invalid' | 'failed' | 'timeout' | 'aborted' | 'approval_required';

/**
 * The one JSON shape in which any refused or failed guarded call is reported,
 * to a caller and to a model, in every framework. It never carries secrets: `reason` is
 * redacted (typed markers) and at most `TEXT_MAX_CHARS` (2,048) characters, ending with
 * `…[truncated: <n> chars in all]` when it was cut; `ruleId` at most 256.
 */
export interface Denial {
  readonly agentguard: 'refused';
  readonly outcome: DenialOutcome;
  readonly code: GuardErrorCode;
  readonly reason: string;
  readonly tool: string;
  readonly callId: string;
  readonly ruleId: string | null;
}

/**
 * The one error class of `@agentguard/core`, thrown by a guarded tool when a
 * call is denied, invalid, failed or could not be audited. `denial` holds the
 * same facts as a plain JSON value.
 */
export class GuardError extends Error {
  override readonly name = 'GuardError';
  readonly code: GuardErrorCode;
  readonly denial: Denial;

  constructor(denial: Denial, options?: { cause?: unknown }) {
    super(`${denial.tool}: ${denial.reason}`, options);
    this.code = denial.code;
    this.denial = denial;
  }
}

/** The fields of a {@link Denial} before its texts are cleaned. */
export interface DenialInput {
  readonly outcome: DenialOutcome;
  readonly code: GuardErrorCode;
  readonly reason: string;
  readonly tool: string;
  readonly callId: string;
  readonly ruleId?: string | null;
}

/**
 * @internal The one denial constructor: every Denial core returns, throws or emits is made here, its reason
 * redacted and bounded (or, for a tool error a guard shows `verbatim`, bounded only).
 */
export function makeDenial(text: TextCleaner, input: DenialInput, options: { verbatim?: boolean } = {}): Denial {
  return Object.freeze({
    agentguard: 'refused',
    outcome: input.outcome,
    code: input.code,
    reason: options.verbatim === true ? boundText(textOf(input.reason)) : text.clean(input.reason),
    tool: input.tool,
    callId: input.callId,
    ruleId: input.ruleId === undefined || input.ruleId === null ? null : text.clean(input.ruleId, ID_MAX_CHARS),
  });
}

/** The fields of a {@link Denial} made outside a guard, by {@link denial}. */
export interface DenialFields {
  /** @default 'denied' */
  readonly outcome?: DenialOutcome;
  readonly code: GuardErrorCode;
  /** Why, in words; redacted (built-in detectors) and bounded. */
  readonly reason: string;
  /** The tool name as the framework or model gave it: any value, read without running its code, bounded. */
  readonly tool: unknown;
  /** The call id as given: any value, read without running its code, bounded. */
  readonly callId: unknown;
  /** @default null */
  readonly ruleId?: string | null;
}

/** Options of {@link denial}. */
export interface DenialOptions {
  /**
   * Longest `reason`, in UTF-16 code units, truncation marker included.
   * @default TEXT_MAX_CHARS (2,048)
   */
  readonly maxReasonChars?: number;
}

let shared: TextCleaner | undefined;
const NAME_MAX_CHARS = 128;

/** A name or id from a framework as text, without running any of its code (a hostile `toString`). */
function nameText(value: unknown, max: number): string {
  switch (typeof value) {
    case 'string':
      return boundText(value, max);
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(value);
    case 'undefined':
      return '';
    default:
      return value === null ? 'null' : `[${typeof value}]`;
  }
}

/**
 * Makes the {@link Denial} for a call no guard answers (an unknown tool, a duplicate call id, a server refusing
 * an envelope): the same frozen JSON shape, with its reason redacted by the built-in detectors and bounded, and
 * the tool and call id bounded. Every Denial a guard makes comes from the guard itself; adapters use this one
 * for the refusals they make on their own, so a model sees one shape whoever refused.
 *
 * @param fields - see {@link DenialFields}.
 * @param options - see {@link DenialOptions}.
 * @returns a frozen Denial.
 * @throws RangeError when `maxReasonChars` is not an integer from 64 to `TEXT_MAX_CHARS`.
 * @example
 * ```ts
 * return denial({ code: 'ERR_GUARD_POLICY_DENIED', reason: `no guarded tool named "${name}"`, tool: name, callId });
 * ```
 */
export function denial(fields: DenialFields, options: DenialOptions = {}): Denial {
  const max = options.maxReasonChars ?? TEXT_MAX_CHARS;
  if (!Number.isInteger(max) || max < 64 || max > TEXT_MAX_CHARS) {
    throw new RangeError(`"maxReasonChars" expected an integer from 64 to ${TEXT_MAX_CHARS}, got ${String(max)}`);
  }
  // One detector-only cleaner for every such denial (made on first use: the redactor is not free to build).
  shared ??= createTextCleaner(undefined);
  return Object.freeze({
    agentguard: 'refused',
    outcome: fields.outcome ?? 'denied',
    code: fields.code,
    reason: shared.clean(fields.reason, max),
    tool: nameText(fields.tool, NAME_MAX_CHARS),
    callId: nameText(fields.callId, ID_MAX_CHARS),
    ruleId: fields.ruleId === undefined || fields.ruleId === null ? null : shared.clean(fields.ruleId, ID_MAX_CHARS),
  });
}
