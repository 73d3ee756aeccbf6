/**
 * Stable error codes of `@agentguard/statement`. Codes are public API: switch on
 * `error.code` (or `result.code`), not on `instanceof` (two installed copies break `instanceof`).
 *
 * | code | meaning |
 * | --- | --- |
 * | `ERR_STATEMENT_JSON_UNSUPPORTED_VALUE` | `canonicalize` met a value JSON cannot hold exactly |
 * | `ERR_STATEMENT_JSON_CYCLE` | `canonicalize` met a cycle |
 * | `ERR_STATEMENT_JSON_TOO_DEEP` | nesting deeper than `maxDepth` (canonicalize or parseJson) |
 * | `ERR_STATEMENT_JSON_PARSE` | `parseJson`: not strict RFC 8259 JSON |
 * | `ERR_STATEMENT_JSON_DUPLICATE_KEY` | `parseJson`: a member name repeated in one object |
 * | `ERR_STATEMENT_JSON_FORBIDDEN_KEY` | `parseJson`: a `__proto__` member |
 * | `ERR_STATEMENT_JSON_TOO_LARGE` | `parseJson`: text larger than `maxBytes` |
 * | `ERR_STATEMENT_JSON_NOT_CANONICAL` | `parseCanonicalJson`: JSON, but not the RFC 8785 canonical text of its value |
 * | `ERR_STATEMENT_ENCODING_INVALID` | bad or non-canonical hex, base64, base64url or UTF-8 |
 * | `ERR_STATEMENT_ENVELOPE_MALFORMED` | not a DSSE envelope as accepted here (fields, types, base64, signature count) |
 * | `ERR_STATEMENT_ENVELOPE_TOO_LARGE` | envelope text or payload over the size limit |
 * | `ERR_STATEMENT_ENVELOPE_PAYLOAD_TYPE` | `payloadType` is not the one expected |
 * | `ERR_STATEMENT_KEY_UNTRUSTED` | no signature names a keyid the caller has a verifier for |
 * | `ERR_STATEMENT_SIGNATURE_INVALID` | a signature does not verify under the verifier of its keyid |
 * | `ERR_STATEMENT_PAYLOAD_INVALID` | the payload is not a strict in-toto Statement v1 (of the expected predicate type) |
 */
/** Every code of `@agentguard/statement`, for exhaustive tests and switch helpers. */
export const STATEMENT_ERROR_CODES = Object.freeze([
  'ERR_STATEMENT_JSON_UNSUPPORTED_VALUE',
  'ERR_STATEMENT_JSON_CYCLE',
  'ERR_STATEMENT_JSON_TOO_DEEP',
  'ERR_STATEMENT_JSON_PARSE',
  'ERR_STATEMENT_JSON_DUPLICATE_KEY',
  'ERR_STATEMENT_JSON_FORBIDDEN_KEY',
  'ERR_STATEMENT_JSON_TOO_LARGE',
  'ERR_STATEMENT_JSON_NOT_CANONICAL',
  'ERR_STATEMENT_ENCODING_INVALID',
  'ERR_STATEMENT_ENVELOPE_MALFORMED',
  'ERR_STATEMENT_ENVELOPE_TOO_LARGE',
  'ERR_STATEMENT_ENVELOPE_PAYLOAD_TYPE',
  'ERR_STATEMENT_KEY_UNTRUSTED',
  'ERR_STATEMENT_SIGNATURE_INVALID',
  'ERR_STATEMENT_PAYLOAD_INVALID',
] as const);

/** One of {@link STATEMENT_ERROR_CODES}. */
export type StatementErrorCode = (typeof STATEMENT_ERROR_CODES)[number];

/** The one error class of `@agentguard/statement`. */
export class StatementError extends Error {
  override readonly name = 'StatementError';
  /** Stable, machine-readable code. */
  readonly code: StatementErrorCode;

  constructor(code: StatementErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
