/**
 * Stable error codes of `@agentguard/attestation`. Codes are public API: switch
 * on `error.code` (or `result.code`), not on `instanceof`, which fails when two
 * copies of the package are installed.
 *
 * | code | meaning |
 * | --- | --- |
 * | `ERR_ATTESTATION_ENVELOPE_MALFORMED` | not a DSSE envelope: bad JSON, wrong types, unknown fields, bad base64, not exactly one signature |
 * | `ERR_ATTESTATION_ENVELOPE_TOO_LARGE` | envelope text or payload over the size limit |
 * | `ERR_ATTESTATION_ENVELOPE_PAYLOAD_TYPE` | `payloadType` is not {@link PAYLOAD_TYPE} |
 * | `ERR_ATTESTATION_KEY_UNTRUSTED` | the signature's `keyid` names no key in the trust store |
 * | `ERR_ATTESTATION_KEY_INVALID` | a key or did:key given to the trust store is not a valid Ed25519 did:key |
 * | `ERR_ATTESTATION_SIGNATURE_INVALID` | the signature does not verify over the payload under the named key |
 * | `ERR_ATTESTATION_STATEMENT_INVALID` | the signed payload is not a valid in-toto Statement of our predicate |
 * | `ERR_ATTESTATION_AGENT_MISMATCH` | the claims name an agent other than the key that signed them |
 * | `ERR_ATTESTATION_ENVELOPE_EXPIRED` | `expiresAt` is past, beyond the clock skew |
 * | `ERR_ATTESTATION_ENVELOPE_NOT_YET_VALID` | `issuedAt` is in the future, beyond the clock skew |
 * | `ERR_ATTESTATION_ENVELOPE_VALIDITY_TOO_LONG` | `expiresAt - issuedAt` exceeds the verifier's maximum validity |
 * | `ERR_ATTESTATION_ARGS_MISMATCH` | the args (or digest) given to the verifier are not the ones signed |
 * | `ERR_ATTESTATION_ARGS_INVALID` | the args are not plain JSON data |
 * | `ERR_ATTESTATION_TOOL_MISMATCH` | the claims name another tool than expected |
 * | `ERR_ATTESTATION_CALL_ID_MISMATCH` | the claims name another call id than expected |
 * | `ERR_ATTESTATION_REPLAY` | this (agent, nonce) was already accepted within its validity window |
 * | `ERR_ATTESTATION_REPLAY_CACHE_UNAVAILABLE` | the replay cache is full or failed; fail closed |
 * | `ERR_ATTESTATION_SIGNING_FAILED` | the signer threw or returned something other than a 64-byte signature |
 * | `ERR_ATTESTATION_CLOCK_INVALID` | a `clock` threw or answered something other than epoch milliseconds; fail closed |
 */
export const ATTESTATION_ERROR_CODES = Object.freeze([
  'ERR_ATTESTATION_ENVELOPE_MALFORMED',
  'ERR_ATTESTATION_ENVELOPE_TOO_LARGE',
  'ERR_ATTESTATION_ENVELOPE_PAYLOAD_TYPE',
  'ERR_ATTESTATION_KEY_UNTRUSTED',
  'ERR_ATTESTATION_KEY_INVALID',
  'ERR_ATTESTATION_SIGNATURE_INVALID',
  'ERR_ATTESTATION_STATEMENT_INVALID',
  'ERR_ATTESTATION_AGENT_MISMATCH',
  'ERR_ATTESTATION_ENVELOPE_EXPIRED',
  'ERR_ATTESTATION_ENVELOPE_NOT_YET_VALID',
  'ERR_ATTESTATION_ENVELOPE_VALIDITY_TOO_LONG',
  'ERR_ATTESTATION_ARGS_MISMATCH',
  'ERR_ATTESTATION_ARGS_INVALID',
  'ERR_ATTESTATION_TOOL_MISMATCH',
  'ERR_ATTESTATION_CALL_ID_MISMATCH',
  'ERR_ATTESTATION_REPLAY',
  'ERR_ATTESTATION_REPLAY_CACHE_UNAVAILABLE',
  'ERR_ATTESTATION_SIGNING_FAILED',
  'ERR_ATTESTATION_CLOCK_INVALID',
] as const);

/** One of {@link ATTESTATION_ERROR_CODES}. */
export type AttestationErrorCode = (typeof ATTESTATION_ERROR_CODES)[number];

/** The one error class of `@agentguard/attestation`. */
export class AttestationError extends Error {
  override readonly name = 'AttestationError';
  /** Stable, machine-readable code. */
  readonly code: AttestationErrorCode;

  constructor(code: AttestationErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/**
 * Why `verifyApproval` refused an approval (returned in its result, not thrown; core writes it into an
 * `approval.refused` record as `approvalCode`).
 */
export const APPROVAL_ERROR_CODES = Object.freeze([
  'ERR_ATTESTATION_APPROVAL_MALFORMED',
  'ERR_ATTESTATION_APPROVAL_UNTRUSTED',
  'ERR_ATTESTATION_APPROVAL_SELF_SIGNED',
  'ERR_ATTESTATION_APPROVAL_FORGED',
  'ERR_ATTESTATION_APPROVAL_EXPIRED',
  'ERR_ATTESTATION_APPROVAL_NOT_YET_VALID',
  'ERR_ATTESTATION_APPROVAL_MISMATCH',
  'ERR_ATTESTATION_APPROVAL_REJECTED',
  'ERR_ATTESTATION_APPROVAL_REPLAYED',
] as const);

/** One of {@link APPROVAL_ERROR_CODES}. */
export type ApprovalErrorCode = (typeof APPROVAL_ERROR_CODES)[number];
