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
  | 'ERR_ENCODING_INVALID'
  // Credentials, trust anchors, rotation, revocation, delegation, key stores, signers.
  | 'ERR_TOKEN_MALFORMED'
  | 'ERR_TOKEN_TOO_LARGE'
  | 'ERR_ALG_UNSUPPORTED'
  | 'ERR_CLAIMS_INVALID'
  | 'ERR_SIGNATURE_INVALID'
  | 'ERR_ISSUER_UNTRUSTED'
  | 'ERR_KEY_UNKNOWN'
  | 'ERR_KEY_RETIRED'
  | 'ERR_EXPIRED'
  | 'ERR_NOT_YET_VALID'
  | 'ERR_REVOKED'
  | 'ERR_REVOCATION_UNAVAILABLE'
  | 'ERR_DELEGATION_WIDENS'
  | 'ERR_CHAIN_TOO_DEEP'
  | 'ERR_CHAIN_BROKEN'
  | 'ERR_KEYSTORE_PERMISSIONS'
  | 'ERR_KEYSTORE_PASSPHRASE'
  | 'ERR_KEYSTORE_FORMAT'
  | 'ERR_SIGNER_DENIED'
  | 'ERR_SIGNER_PROTOCOL'
  | 'ERR_SIGNER_UNAVAILABLE'
  | 'ERR_CREDENTIAL_REQUIRED'
  | 'ERR_CREDENTIAL_DENIED'
  | 'ERR_HOLDER_MISMATCH'
  | 'ERR_CALL_BUDGET_EXCEEDED'
  | 'ERR_TRUST_FILE_INVALID';

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
