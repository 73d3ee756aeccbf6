/**
 * Stable error codes of `@agentguard/identity`. Codes are public API: switch on
 * `error.code`, not on `instanceof` (two installed copies break `instanceof`).
 */
export type IdentityErrorCode =
  | 'ERR_JSON_UNSUPPORTED_VALUE'
  | 'ERR_JSON_CYCLE'
  | 'ERR_JSON_TOO_DEEP'
  | 'ERR_JSON_PARSE'
  | 'ERR_JSON_DUPLICATE_KEY'
  | 'ERR_JSON_FORBIDDEN_KEY'
  | 'ERR_JSON_TOO_LARGE'
  | 'ERR_KEY_INVALID'
  | 'ERR_DID_INVALID'
  | 'ERR_JWK_INVALID'
  | 'ERR_ENCODING_INVALID';

/** The one error class of `@agentguard/identity`. */
export class IdentityError extends Error {
  override readonly name = 'IdentityError';
  /** Stable, machine-readable code. */
  readonly code: IdentityErrorCode;

  constructor(code: IdentityErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
