/**
 * Stable error codes of `@agentguard/assess`. Codes are public API: switch on `error.code`, not on
 * `instanceof`, which fails when two copies of the package are installed.
 *
 * | code | meaning |
 * | --- | --- |
 * | `ERR_ASSESS_DEPLOYMENT_INVALID` | the deployment description is not the documented shape (or its policy is invalid) |
 * | `ERR_ASSESS_LOG_INVALID` | a log record given to the assessment is not an audit record |
 * | `ERR_ASSESS_PREVIOUS_INVALID` | the previous assessment given for comparison is not a report of this version |
 */
export const ASSESS_ERROR_CODES = Object.freeze([
  'ERR_ASSESS_DEPLOYMENT_INVALID',
  'ERR_ASSESS_LOG_INVALID',
  'ERR_ASSESS_PREVIOUS_INVALID',
] as const);

/** One of {@link ASSESS_ERROR_CODES}. */
export type AssessErrorCode = (typeof ASSESS_ERROR_CODES)[number];

/** The one error class of `@agentguard/assess`; `code` says what went wrong. */
export class AssessError extends Error {
  override readonly name = 'AssessError';
  readonly code: AssessErrorCode;

  /**
   * @param code - a stable {@link AssessErrorCode}.
   * @param message - what was wrong, expected and received; never secrets.
   * @param options - `{ cause }`.
   */
  constructor(code: AssessErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
