/**
 * Stable error codes of evidence bundles. Codes are public API: switch on `error.code` (or a finding's
 * `code`), not on `instanceof`.
 *
 * | code | meaning |
 * | --- | --- |
 * | `ERR_EVIDENCE_BUNDLE_INPUT_INVALID` | export input unusable: a log that does not verify, a policy, credential or revocation list that is not JSON |
 * | `ERR_EVIDENCE_BUNDLE_EMPTY` | no event record matches the range and filters: an empty bundle is no evidence |
 * | `ERR_EVIDENCE_BUNDLE_NOT_COVERED` | records in range are not yet covered by a signed checkpoint of the log |
 * | `ERR_EVIDENCE_BUNDLE_TOO_LARGE` | a bundle file, or the number of files, is over the bounds a verifier reads |
 * | `ERR_EVIDENCE_BUNDLE_MANIFEST_INVALID` | `manifest.json` is missing or is not a bundle manifest (DSSE envelope of an in-toto Statement) |
 * | `ERR_EVIDENCE_BUNDLE_SIGNATURE_INVALID` | the manifest is not signed by a trusted key, or its signature does not verify |
 * | `ERR_EVIDENCE_BUNDLE_FILE_ADDED` | a file is in the bundle but not in the manifest |
 * | `ERR_EVIDENCE_BUNDLE_FILE_MISSING` | a file the manifest lists is not in the bundle |
 * | `ERR_EVIDENCE_BUNDLE_FILE_CHANGED` | a file's SHA-256 is not the one the manifest lists |
 * | `ERR_EVIDENCE_BUNDLE_FILE_MALFORMED` | a listed file is not in the bundle format (keys, proofs, checkpoints) |
 * | `ERR_EVIDENCE_BUNDLE_CHECKPOINT_INVALID` | a checkpoint is not a C2SP checkpoint signed by a log key of the bundle |
 * | `ERR_EVIDENCE_BUNDLE_PROOF_INVALID` | an inclusion proof or the consistency proof does not verify |
 * | `ERR_EVIDENCE_BUNDLE_RECORD_INVALID` | a record fails its own checks (form, hash, signature, envelope) |
 * | `ERR_EVIDENCE_BUNDLE_RECORD_UNTRUSTED` | a record is signed by a key the bundle does not list as trusted |
 * | `ERR_EVIDENCE_BUNDLE_RECORD_OUT_OF_SCOPE` | a record is outside the manifest's range or filters, repeated or out of order |
 * | `ERR_EVIDENCE_BUNDLE_POLICY_MISSING` | a record names a policy hash whose policy the bundle does not hold |
 * | `ERR_EVIDENCE_BUNDLE_POLICY_INVALID` | a policy file is not a policy, or does not hash to its name |
 */
export const BUNDLE_ERROR_CODES = Object.freeze([
  'ERR_EVIDENCE_BUNDLE_INPUT_INVALID',
  'ERR_EVIDENCE_BUNDLE_EMPTY',
  'ERR_EVIDENCE_BUNDLE_NOT_COVERED',
  'ERR_EVIDENCE_BUNDLE_TOO_LARGE',
  'ERR_EVIDENCE_BUNDLE_MANIFEST_INVALID',
  'ERR_EVIDENCE_BUNDLE_SIGNATURE_INVALID',
  'ERR_EVIDENCE_BUNDLE_FILE_ADDED',
  'ERR_EVIDENCE_BUNDLE_FILE_MISSING',
  'ERR_EVIDENCE_BUNDLE_FILE_CHANGED',
  'ERR_EVIDENCE_BUNDLE_FILE_MALFORMED',
  'ERR_EVIDENCE_BUNDLE_CHECKPOINT_INVALID',
  'ERR_EVIDENCE_BUNDLE_PROOF_INVALID',
  'ERR_EVIDENCE_BUNDLE_RECORD_INVALID',
  'ERR_EVIDENCE_BUNDLE_RECORD_UNTRUSTED',
  'ERR_EVIDENCE_BUNDLE_RECORD_OUT_OF_SCOPE',
  'ERR_EVIDENCE_BUNDLE_POLICY_MISSING',
  'ERR_EVIDENCE_BUNDLE_POLICY_INVALID',
] as const);

/** One of {@link BUNDLE_ERROR_CODES}. */
export type BundleErrorCode = (typeof BUNDLE_ERROR_CODES)[number];

/** The error class of evidence bundles: export refused, or a bundle directory that cannot be read. */
export class BundleError extends Error {
  override readonly name = 'BundleError';
  /** Stable, machine-readable code. */
  readonly code: BundleErrorCode;

  constructor(code: BundleErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
