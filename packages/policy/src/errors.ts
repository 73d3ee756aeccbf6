/**
 * Stable error codes of `@agentguard/policy`. Codes are public API: switch on
 * `error.code`, not on `instanceof` (two installed copies break `instanceof`).
 *
 * - `ERR_POLICY_INVALID`: a policy document failed validation; `issues` lists each problem.
 * - `ERR_POLICY_EVALUATION`: evaluating a decision failed (surfaced only inside a deny decision's reason).
 * - `ERR_POLICY_SELF_TEST`: the engine refused to arm because its restraint self-test did not deny the canary.
 * - `ERR_POLICY_STATE_STORE`: the state store (rate limits, budgets, sessions) failed.
 */
export const POLICY_ERROR_CODES = Object.freeze([
  'ERR_POLICY_INVALID',
  'ERR_POLICY_EVALUATION',
  'ERR_POLICY_SELF_TEST',
  'ERR_POLICY_STATE_STORE',
] as const);

/** One of {@link POLICY_ERROR_CODES}. */
export type PolicyErrorCode = (typeof POLICY_ERROR_CODES)[number];

/** One problem found in a policy document, with the JSON path where it is. */
export interface PolicyIssue {
  /** Path in the document, e.g. `rules[2].effect`; `$` for the document itself. */
  readonly path: string;
  /** What was wrong there, e.g. `expected "allow" | "deny"`. */
  readonly message: string;
}

/** The one error class of `@agentguard/policy`. */
export class PolicyError extends Error {
  override readonly name = 'PolicyError';
  /** Stable, machine-readable code. */
  readonly code: PolicyErrorCode;
  /** For `ERR_POLICY_INVALID`: every problem found, in document order. Empty otherwise. */
  readonly issues: readonly PolicyIssue[];

  constructor(
    code: PolicyErrorCode,
    message: string,
    options: { readonly cause?: unknown; readonly issues?: readonly PolicyIssue[] } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.issues = Object.freeze([...(options.issues ?? [])]);
  }
}
