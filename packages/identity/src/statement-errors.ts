import { type JsonValue, parseJson, type ParseJsonOptions, StatementError } from '@agentguard/statement';
import { IdentityError, type IdentityErrorCode } from './errors.js';

/** Identity's codes for what `@agentguard/statement` reports about strict JSON and encodings. */
const PASSED_ON: Readonly<Record<string, IdentityErrorCode>> = Object.freeze({
  ERR_STATEMENT_JSON_UNSUPPORTED_VALUE: 'ERR_IDENTITY_JSON_UNSUPPORTED_VALUE',
  ERR_STATEMENT_JSON_CYCLE: 'ERR_IDENTITY_JSON_CYCLE',
  ERR_STATEMENT_JSON_TOO_DEEP: 'ERR_IDENTITY_JSON_TOO_DEEP',
  ERR_STATEMENT_JSON_PARSE: 'ERR_IDENTITY_JSON_PARSE',
  ERR_STATEMENT_JSON_DUPLICATE_KEY: 'ERR_IDENTITY_JSON_DUPLICATE_KEY',
  ERR_STATEMENT_JSON_FORBIDDEN_KEY: 'ERR_IDENTITY_JSON_FORBIDDEN_KEY',
  ERR_STATEMENT_JSON_TOO_LARGE: 'ERR_IDENTITY_JSON_TOO_LARGE',
  ERR_STATEMENT_ENCODING_INVALID: 'ERR_IDENTITY_ENCODING_INVALID',
});

/**
 * `error` as an IdentityError when it is one, or when it is a StatementError from the strict JSON parser or the
 * encodings (its code under identity's prefix, original as `cause`), so credential results and signer answers keep their codes.
 * Undefined for anything else. Internal.
 */
export function asIdentityError(error: unknown): IdentityError | undefined {
  if (error instanceof IdentityError) return error;
  if (error instanceof StatementError) {
    const code = PASSED_ON[error.code];
    if (code !== undefined) return new IdentityError(code, error.message, { cause: error });
  }
  return undefined;
}

/**
 * `parseJson` of `@agentguard/statement`, throwing IdentityError with the same `ERR_IDENTITY_JSON_*` code, so identity's
 * own readers (credentials, trust files, key files, the signer protocol) throw this package's error class. Internal.
 *
 * @throws IdentityError `ERR_IDENTITY_JSON_*`.
 */
export function parseJsonOrThrow(text: string, options: ParseJsonOptions): JsonValue {
  try {
    return parseJson(text, options);
  } catch (error) {
    throw asIdentityError(error) ?? error;
  }
}
