/**
 * Stable error codes of `@agentguard/identity`. Codes are public API: switch on
 * `error.code`, not on `instanceof` (two installed copies break `instanceof`).
 */
export const IDENTITY_ERROR_CODES = Object.freeze([
  'ERR_IDENTITY_JSON_UNSUPPORTED_VALUE',
  'ERR_IDENTITY_JSON_CYCLE',
  'ERR_IDENTITY_JSON_TOO_DEEP',
  'ERR_IDENTITY_JSON_PARSE',
  'ERR_IDENTITY_JSON_DUPLICATE_KEY',
  'ERR_IDENTITY_JSON_FORBIDDEN_KEY',
  'ERR_IDENTITY_JSON_TOO_LARGE',
  'ERR_IDENTITY_KEY_INVALID',
  'ERR_IDENTITY_DID_INVALID',
  'ERR_IDENTITY_JWK_INVALID',
  'ERR_IDENTITY_ENCODING_INVALID',
  // Credentials, trust anchors, rotation, revocation, delegation, key stores, signers.
  'ERR_IDENTITY_TOKEN_MALFORMED',
  'ERR_IDENTITY_TOKEN_TOO_LARGE',
  'ERR_IDENTITY_ALG_UNSUPPORTED',
  'ERR_IDENTITY_CLAIMS_INVALID',
  'ERR_IDENTITY_SIGNATURE_INVALID',
  'ERR_IDENTITY_ISSUER_UNTRUSTED',
  'ERR_IDENTITY_KEY_UNKNOWN',
  'ERR_IDENTITY_KEY_RETIRED',
  'ERR_IDENTITY_EXPIRED',
  'ERR_IDENTITY_NOT_YET_VALID',
  'ERR_IDENTITY_REVOKED',
  'ERR_IDENTITY_REVOCATION_UNAVAILABLE',
  'ERR_IDENTITY_DELEGATION_WIDENS',
  'ERR_IDENTITY_CHAIN_TOO_DEEP',
  'ERR_IDENTITY_CHAIN_BROKEN',
  'ERR_IDENTITY_KEYSTORE_PERMISSIONS',
  'ERR_IDENTITY_KEYSTORE_PASSPHRASE',
  'ERR_IDENTITY_KEYSTORE_FORMAT',
  'ERR_IDENTITY_SIGNER_DENIED',
  'ERR_IDENTITY_SIGNER_PROTOCOL',
  'ERR_IDENTITY_SIGNER_UNAVAILABLE',
  'ERR_IDENTITY_CREDENTIAL_REQUIRED',
  'ERR_IDENTITY_CREDENTIAL_DENIED',
  'ERR_IDENTITY_HOLDER_MISMATCH',
  'ERR_IDENTITY_CALL_BUDGET_EXCEEDED',
  'ERR_IDENTITY_TRUST_FILE_INVALID',
] as const);

/** One of {@link IDENTITY_ERROR_CODES}. */
export type IdentityErrorCode = (typeof IDENTITY_ERROR_CODES)[number];

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
