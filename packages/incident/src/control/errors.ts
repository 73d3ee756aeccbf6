/** Stable error codes of `@agentguard/incident`. Public API: switch on `code`. */
export const INCIDENT_ERROR_CODES = Object.freeze([
  'ERR_INCIDENT_STATUS_MALFORMED',
  'ERR_INCIDENT_STATUS_UNTRUSTED',
  'ERR_INCIDENT_STATUS_FORGED',
  'ERR_INCIDENT_STATUS_WRONG_CHANNEL',
  'ERR_INCIDENT_STATUS_REPLAYED',
  'ERR_INCIDENT_STATUS_CONFLICT',
  'ERR_INCIDENT_STATUS_EXPIRED',
  'ERR_INCIDENT_STATUS_NOT_YET_VALID',
  'ERR_INCIDENT_SOURCE_FAILED',
] as const);

/** One of {@link INCIDENT_ERROR_CODES}. */
export type IncidentErrorCode = (typeof INCIDENT_ERROR_CODES)[number];

/** The one error class of `@agentguard/incident`, thrown by `assertStatus` and the CLI helpers. */
export class IncidentError extends Error {
  override readonly name = 'IncidentError';
  readonly code: IncidentErrorCode;

  constructor(code: IncidentErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
