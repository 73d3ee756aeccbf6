/**
 * Stable error codes of the OCSF export.
 *
 * | code | meaning |
 * | --- | --- |
 * | `ERR_EVIDENCE_OCSF_LOG_INVALID` | the log to export does not verify: nothing is exported from a log that fails its checks |
 */
export const OCSF_ERROR_CODES = Object.freeze(['ERR_EVIDENCE_OCSF_LOG_INVALID'] as const);

/** One of {@link OCSF_ERROR_CODES}. */
export type OcsfErrorCode = (typeof OCSF_ERROR_CODES)[number];

/** The error class of the OCSF export. */
export class OcsfError extends Error {
  override readonly name = 'OcsfError';
  /** Stable, machine-readable code. */
  readonly code: OcsfErrorCode;

  constructor(code: OcsfErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
