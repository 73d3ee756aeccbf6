/**
 * Stable error codes of `@agentguard/monitor`. Codes are public API: switch on
 * `error.code`, not on `instanceof`, which fails when two copies of the package are installed.
 *
 * | code | meaning |
 * | --- | --- |
 * | `ERR_MONITOR_PROFILE_INVALID` | a profile document is not of the expected shape or version |
 * | `ERR_MONITOR_PROFILE_HASH_MISMATCH` | a signed profile's content does not hash to its `hash`: it was changed |
 * | `ERR_MONITOR_PROFILE_SIGNATURE_INVALID` | a signed profile's signature does not verify, or its signer is not trusted |
 * | `ERR_MONITOR_UPDATE_UNLINKED` | an update does not name the current profile's hash as `previous` |
 * | `ERR_MONITOR_DRIFT_EXCEEDED` | an update changes the profile faster than the drift bound allows |
 * | `ERR_MONITOR_ALERTS_IN_WINDOW` | a learning window contains alerts and no explicit decision was given |
 * | `ERR_MONITOR_INPUT_INVALID` | a session or audit record to learn from or replay is malformed |
 * | `ERR_MONITOR_ATTESTATION_INVALID` | an attestation is malformed, its digest or signature does not verify |
 */
export const MONITOR_ERROR_CODES = Object.freeze([
  'ERR_MONITOR_PROFILE_INVALID',
  'ERR_MONITOR_PROFILE_HASH_MISMATCH',
  'ERR_MONITOR_PROFILE_SIGNATURE_INVALID',
  'ERR_MONITOR_UPDATE_UNLINKED',
  'ERR_MONITOR_DRIFT_EXCEEDED',
  'ERR_MONITOR_ALERTS_IN_WINDOW',
  'ERR_MONITOR_INPUT_INVALID',
  'ERR_MONITOR_ATTESTATION_INVALID',
] as const);

/** One of {@link MONITOR_ERROR_CODES}. */
export type MonitorErrorCode = (typeof MONITOR_ERROR_CODES)[number];

/** The one error class of `@agentguard/monitor`. */
export class MonitorError extends Error {
  override readonly name = 'MonitorError';
  /** Stable, machine-readable code. */
  readonly code: MonitorErrorCode;

  constructor(code: MonitorErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
